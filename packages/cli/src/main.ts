import { ConfigError } from '@minapush/config';
import { loadCliEnvironment } from './config.js';
import { EXIT_USAGE } from './errors.js';
import { runCli } from './run-cli.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let environment: ReturnType<typeof loadCliEnvironment>;
try {
  environment = loadCliEnvironment();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`minapush: ${error.message}`);
  process.exit(EXIT_USAGE);
}

process.exitCode = await runCli(process.argv.slice(2), {
  io: { stdout: process.stdout, stderr: process.stderr, readStdin },
  environment,
  pollIntervalMs: 500,
});
