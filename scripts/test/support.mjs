// Helpers of the root scripts' tests.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The environment a child of a test starts from: this one without what npm and vitest put in it
 * (npm_* would steer a nested npm; NODE_ENV=test would steer start.mjs), plus `overrides`. A value
 * of undefined removes a variable.
 */
export function childEnv(overrides = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') || key === 'NODE_ENV' || key === 'VITEST' || key.startsWith('VITEST_'))
      continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
