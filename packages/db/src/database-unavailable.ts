// Prisma's codes for "the server cannot be reached or stopped answering", and the driver
// adapter's kinds for the same (raw queries report those under P2010).
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseDoesNotExist',
  'TransactionAlreadyClosed',
]);

/**
 * True when an error means Postgres is down or unreachable (a dependency fault, worth a 503 and a
 * retry), as opposed to a query the database refused.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, meta } = error as {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
  };
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  const kind = meta?.driverAdapterError?.cause?.kind;
  return typeof kind === 'string' && UNAVAILABLE_KINDS.has(kind);
}
