import type { z } from 'zod';
import { ConfigError } from './config-error.js';

type Environment = Record<string, string | undefined>;

/**
 * Parses the environment with an app's schema, once, at start-up. Empty strings count as unset,
 * so `FOO=` in an .env file falls back to the default. Throws a ConfigError naming every bad
 * variable (never its value: some are secrets).
 */
export function parseEnvironment<S extends z.ZodType>(
  schema: S,
  env: Environment,
  hints: Record<string, string> = {},
): z.infer<S> {
  const cleaned: Environment = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const top = String(issue.path[0] ?? '');
    const hint = hints[top] ? ` (${hints[top]})` : '';
    return `${variable}: ${issue.message}${hint}`;
  });
  throw new ConfigError(problems);
}
