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

interface AdapterCause {
  kind?: unknown;
  code?: unknown;
}

/**
 * What the driver adapter reported, when the error came through it: a model query throws the
 * `DriverAdapterError` itself (its `cause`), a raw query a known request error carrying it in
 * `meta`. Postgres' own codes arrive there as `{kind: "postgres", code}`: a backend terminated
 * under a query (57P01, `pg_terminate_backend`, a restart) is one.
 */
function adapterCause(error: object): AdapterCause | undefined {
  const { name, cause, meta } = error as {
    name?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: { cause?: unknown } };
  };
  const found = name === 'DriverAdapterError' ? cause : meta?.driverAdapterError?.cause;
  return found && typeof found === 'object' ? (found as AdapterCause) : undefined;
}

/**
 * True when an error means Postgres is down or unreachable (a dependency fault, worth a 503 and a
 * retry), as opposed to a query the database refused.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_CODES.has(code) || SOCKET_CODES.has(code) || POSTGRES_CODES.has(code))
  )
    return true;
  if (error instanceof AggregateError && error.errors.some(isDatabaseUnavailable)) return true;
  if (typeof message === 'string' && POOL_MESSAGES.some((text) => message.includes(text))) return true;
  const cause = adapterCause(error);
  if (typeof cause?.kind === 'string' && UNAVAILABLE_KINDS.has(cause.kind)) return true;
  return cause?.kind === 'postgres' && typeof cause.code === 'string' && POSTGRES_CODES.has(cause.code);
}
