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
// What node-postgres (the send path, message intake) reports for the same: the socket's errors,
// and Postgres' own codes for shutting down, starting, too many connections, no such database.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);
const POSTGRES_CODES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '3D000',
  '08000',
  '08001',
  '08003',
  '08006',
]);
const POOL_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error',
];

/**
 * True when an error means Postgres is down or unreachable (a dependency fault, worth a 503 and a
 * retry), as opposed to a query the database refused.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, meta, message } = error as {
    code?: unknown;
    message?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
  };
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_CODES.has(code) || SOCKET_CODES.has(code) || POSTGRES_CODES.has(code))
  )
    return true;
  if (error instanceof AggregateError && error.errors.some(isDatabaseUnavailable)) return true;
  if (typeof message === 'string' && POOL_MESSAGES.some((text) => message.includes(text))) return true;
  const kind = meta?.driverAdapterError?.cause?.kind;
  return typeof kind === 'string' && UNAVAILABLE_KINDS.has(kind);
}
