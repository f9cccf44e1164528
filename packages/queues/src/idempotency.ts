import { createHash } from 'node:crypto';
import { z } from 'zod';
import { noControlCharacters } from './no-control-characters.js';

/** Longest idempotencyKey, in characters (the `idempotency_key` columns are VARCHAR(256)). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/**
 * An idempotencyKey, scoped per app: 1 to 256 characters, any but control characters, compared
 * exactly (case and spaces count). The same key with the same request answers the first one.
 */
export const idempotencyKeySchema = z
  .string()
  .min(1, 'idempotencyKey must not be empty; leave it out to send without one')
  .max(MAX_IDEMPOTENCY_KEY_LENGTH, `idempotencyKey must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
  // Postgres cannot store U+0000; a stray newline is a client's mistake rather than part of a key
  .check(noControlCharacters)
  .describe(
    `per app, 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, no control characters: the same key with the same request answers the first one, with a different request 409`,
  );

/** JSON with every object's keys sorted, so equal values always serialise to equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * sha256 (hex) of a normalised request, stored beside its idempotencyKey: a second request with
 * the key is a replay exactly when its hash is equal. Pass what is stored, not the raw body, so
 * that spellings of one request (key order, flat or wire `data`, the default app named) agree;
 * dates as ISO strings (an object without own keys, such as a Date, hashes as `{}`).
 */
export function requestHash(normalised: unknown): string {
  return createHash('sha256').update(canonicalJson(normalised)).digest('hex');
}
