import type { z } from 'zod';
import { ApiError } from './api-error.js';

/** Parses a request part, or throws a 400/422 ApiError that lists each problem with its path. */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: { status?: 400 | 422; code?: string; what?: string } = {},
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid';
  throw new ApiError(
    options.status ?? 400,
    options.code ?? 'invalid_request',
    `The ${options.what ?? 'request body'} is invalid (${summary}). See /docs for the expected shape.`,
    { issues },
  );
}
