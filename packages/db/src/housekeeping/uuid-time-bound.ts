/**
 * The smallest version-7 uuid of the millisecond `ms`: every uuid v7 made earlier sorts below it.
 * Messages and broadcasts get v7 ids (Prisma's `uuid(7)` and `minapush_uuid_v7()`), so the rows
 * created before a time are a prefix of the primary key, and a walk over them stops at this bound.
 */
export function uuidV7Bound(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 2 ** 48) {
    throw new RangeError(`a uuid v7 holds a millisecond time from 0 to 2^48, not ${ms}`);
  }
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
