/**
 * What can go wrong in a command, each with the exit status the contract gives it: 2 for a command
 * line the CLI cannot run (bad usage, bad configuration), 1 for everything the server or the
 * broadcast decided. Messages say how to fix the problem; nothing prints a stack trace.
 */

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;
/** A watch stopped by Ctrl-C: the shell's convention for SIGINT (128 + 2). */
export const EXIT_INTERRUPTED = 130;

/** The command line cannot be run as written (a bad value, a missing setting). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'bad_usage';
  readonly exitCode = EXIT_USAGE;
}

/** The API answered with its error shape (any 4xx or 5xx): what it said is what we print. */
export class ApiRefusal extends Error {
  override readonly name = 'ApiRefusal';
  readonly exitCode = EXIT_REFUSED;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly retryAfterSeconds?: number,
    /** what the user can do about it, when the CLI knows more than the API said */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Nothing answered at the configured URL (refused, unknown host, timed out). */
export class ServerUnreachable extends Error {
  override readonly name = 'ServerUnreachable';
  readonly code = 'server_unreachable';
  readonly exitCode = EXIT_REFUSED;

  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(
      `cannot reach minapush at ${url} (${reason}). Is it running? ` +
        'Point MINAPUSH_URL (or --url) at its API; `npm start` serves http://127.0.0.1:3000.',
    );
  }
}

/** Something answered, but not with minapush's JSON (another server on that port, a proxy page). */
export class UnexpectedAnswer extends Error {
  override readonly name = 'UnexpectedAnswer';
  readonly code = 'unexpected_answer';
  readonly exitCode = EXIT_REFUSED;
}

/**
 * What was waited for ended otherwise: a watched broadcast was cancelled or paused (it waits for a
 * person), a waited-for message finished without being sent.
 */
export class NotCompleted extends Error {
  override readonly name = 'NotCompleted';
  readonly code = 'not_completed';
  readonly exitCode = EXIT_REFUSED;
}

/** The user pressed Ctrl-C while watching: the broadcast itself goes on. */
export class WatchInterrupted extends Error {
  override readonly name = 'WatchInterrupted';
  readonly code = 'interrupted';
  readonly exitCode = EXIT_INTERRUPTED;
}

export type CliError =
  | UsageError
  | ApiRefusal
  | ServerUnreachable
  | UnexpectedAnswer
  | NotCompleted
  | WatchInterrupted;

export function isCliError(error: unknown): error is CliError {
  return (
    error instanceof UsageError ||
    error instanceof ApiRefusal ||
    error instanceof ServerUnreachable ||
    error instanceof UnexpectedAnswer ||
    error instanceof NotCompleted ||
    error instanceof WatchInterrupted
  );
}
