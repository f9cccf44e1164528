import { decodePageCursor } from '@minapush/db';
import { z } from 'zod';

/** Most items one page of a listing holds, and how many it holds when `limit` is not given. */
export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 20;

/** `limit` of a listing: a whole number from 1 to 100, 20 when absent. */
export const pageLimitSchema = z
  .string()
  .regex(/^\d{1,6}$/, `limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}`)
  .transform(Number)
  .pipe(
    z
      .number()
      .min(1, `limit must be at least 1`)
      .max(MAX_PAGE_LIMIT, `limit must be at most ${MAX_PAGE_LIMIT}`),
  )
  .optional()
  .describe(`items per page, 1 to ${MAX_PAGE_LIMIT}; default ${DEFAULT_PAGE_LIMIT}`);

/** `cursor` of a listing: a `nextCursor` the previous page answered. */
export const pageCursorSchema = z
  .string()
  .refine((cursor) => decodePageCursor(cursor) !== undefined, {
    message: 'cursor must be the nextCursor of a previous page, unchanged; leave it out for the first page',
  })
  .optional()
  .describe('the `nextCursor` of the previous page; absent: the first (newest) page');
