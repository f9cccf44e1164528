import { CommanderError } from 'commander';
import type { CliContext } from './context.js';
import {
  ApiRefusal,
  type CliError,
  EXIT_OK,
  EXIT_REFUSED,
  EXIT_USAGE,
  isCliError,
  NotCompleted,
} from './errors.js';
import { createProgram } from './program.js';

function describeError(error: CliError): string {
  if (!(error instanceof ApiRefusal)) return error.message;
  const lines = [`${error.code} (HTTP ${error.status}): ${error.message}`];
  if (error.details !== undefined) lines.push(`  details: ${JSON.stringify(error.details)}`);
  if (error.hint) lines.push(`  ${error.hint}`);
  if (error.retryAfterSeconds) lines.push(`  retry after ${error.retryAfterSeconds} s`);
  return lines.join('\n');
}

function errorDocument(error: CliError) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error instanceof ApiRefusal ? { status: error.status } : {}),
      ...(error instanceof ApiRefusal && error.details !== undefined ? { details: error.details } : {}),
    },
  };
}

/**
 * Runs one command line (argv without node and the script) and answers its exit status: 0 done,
 * 1 refused by the API or not completed, 2 bad usage, 130 a watch stopped by Ctrl-C. Errors are
 * printed as one line of what went wrong and how to fix it, never as a stack trace; with --json,
 * stdout also gets an `{"error":{…}}` document unless the command already printed its answer.
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const program = createProgram(context);
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0; commander printed the rest
      if (error.exitCode === 0) return EXIT_OK;
      if (json) {
        const message = error.message.replace(/^error: /, '');
        context.io.stdout.write(`${JSON.stringify({ error: { code: 'bad_usage', message } }, null, 2)}\n`);
      }
      return EXIT_USAGE;
    }
    if (isCliError(error)) {
      context.io.stderr.write(`minapush: ${describeError(error)}\n`);
      if (error.exitCode === EXIT_USAGE) context.io.stderr.write('(add --help for usage)\n');
      if (json && !(error instanceof NotCompleted)) {
        context.io.stdout.write(`${JSON.stringify(errorDocument(error), null, 2)}\n`);
      }
      return error.exitCode;
    }
    // a bug of this CLI, not a refusal: the stack helps whoever fixes it
    context.io.stderr.write(
      `minapush: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    return EXIT_REFUSED;
  }
}
