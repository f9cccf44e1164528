import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAppStateCommands } from './commands/app-state.js';
import { registerBroadcastCommands } from './commands/broadcast.js';
import { registerHousekeepingCommands } from './commands/housekeeping.js';
import { registerSendCommand } from './commands/send.js';
import type { CliContext } from './context.js';

function version(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return String(manifest.version);
  } catch {
    return 'unknown';
  }
}

/**
 * The `minapush` command and its subcommands. Commander never exits the process itself
 * (exitOverride): runCli turns its usage errors into exit status 2 and everything else into 1.
 */
export function createProgram(context: CliContext): Command {
  const program = new Command('minapush');
  program
    .description('Command line of the minapush HTTP API: send, broadcast with a live progress bar, inspect.')
    .version(version(), '-V, --version')
    .option('--url <url>', 'the minapush API (default: MINAPUSH_URL, else http://127.0.0.1:3000)')
    .option(
      '--api-key <key>',
      "an API key of the server (default: MINAPUSH_API_KEY, else npm start's local key on this machine)",
    )
    .option('--json', 'print one JSON document on stdout (no progress bar), for scripts')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nExit status: 0 success, 1 the API refused (or a watched broadcast did not complete), 2 bad usage.',
    );
  registerSendCommand(program, context);
  registerBroadcastCommands(program, context);
  registerAppStateCommands(program, context);
  registerHousekeepingCommands(program, context);
  return program;
}
