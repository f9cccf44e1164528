import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_REFUSED, EXIT_USAGE } from './errors.js';
import { runCli } from './run-cli.js';

/** Runs a command line in-process; what the API would answer is not needed for these. */
async function run(argv: string[], environment: { url?: string; apiKey?: string; appId?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      readStdin: async () => '',
    },
    environment: {
      url: environment.url,
      apiKey: environment.apiKey ?? 'k',
      appId: environment.appId,
      stateDir: undefined,
    },
    pollIntervalMs: 10,
  });
  return { code, stdout, stderr };
}

/** A port nothing listens on right now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const CREATE = ['broadcast', 'create', '--kind', 'subscribe', '--template', 't', '--all'];

describe('usage errors exit 2 (not commander’s 1) and never reach the API', () => {
  // A URL where nothing listens: a command that got as far as calling it would exit 1, not 2.
  const unreachable = { url: 'http://127.0.0.1:9' };

  it.each([
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown option', ['inventory', '--app', 'a', '--frobnicate'], /unknown option '--frobnicate'/],
    [
      'a missing required option',
      ['send', 'o1', '--kind', 'template', '-d', 'a=b'],
      /--template <templateId>/,
    ],
    ['a missing argument', ['credits', '--app', 'a'], /missing required argument 'openid'/],
    [
      'a value outside the choices',
      ['send', 'o1', '--kind', 'sms', '-t', 't', '-d', 'a=b'],
      /Allowed choices/,
    ],
    ['a group without its subcommand', ['broadcast'], /Usage: minapush broadcast/],
    ['no --data', CREATE, /missing --data/],
    ['bad --data', [...CREATE, '-d', '{"thing1"'], /not valid JSON/],
    [
      'no audience',
      ['broadcast', 'create', '-k', 'subscribe', '-t', 't', '-d', 'a=b'],
      /choose the audience/,
    ],
    ['two audiences', [...CREATE, '--openids', 'o1', '-d', 'a=b'], /give one audience/],
    ['a bad --send-at', [...CREATE, '-d', 'a=b', '--send-at', 'noon'], /ISO-8601/],
    [
      '--dry-run with --watch',
      [...CREATE, '-d', 'a=b', '--dry-run', '--watch'],
      /creates nothing to --watch/,
    ],
    ['a bad --limit', ['broadcast', 'list', '--limit', '1000'], /--limit must be a whole number/],
    ['no app where the path needs one', ['inventory'], /name the app: --app/],
    ['a bad --url', ['inventory', '--app', 'a', '--url', 'ftp://x'], /--url must be an http/],
  ])('%s', async (_what, argv, message) => {
    const { code, stderr } = await run(argv, unreachable);
    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/cannot reach/);
  });

  it('an empty openids file is refused before anything is sent', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'minapush-cli-')), 'openids.txt');
    writeFileSync(file, '# nobody\n\n');
    const { code, stderr } = await run(
      ['broadcast', 'create', '-k', 'subscribe', '-t', 't', '-d', 'a=b', '--openids-file', file],
      unreachable,
    );
    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toMatch(/lists no openid/);
  });

  it('with --json, stdout holds one error document and nothing else', async () => {
    const { code, stdout } = await run(['inventory', '--json'], unreachable);
    expect(code).toBe(EXIT_USAGE);
    expect(JSON.parse(stdout)).toEqual({
      error: { code: 'bad_usage', message: expect.stringMatching(/--app/) },
    });
  });
});

describe('help and version exit 0', () => {
  it.each([[['--help']], [['broadcast', 'create', '--help']], [['--version']]])('%j', async (argv) => {
    const { code, stdout } = await run(argv);
    expect(code).toBe(EXIT_OK);
    expect(stdout).not.toBe('');
  });
});

describe('a server that does not answer', () => {
  it('exits 1 with a message naming MINAPUSH_URL, and no stack trace', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { code, stdout, stderr } = await run(['broadcast', 'show', 'some-id'], { url });
    expect(code).toBe(EXIT_REFUSED);
    expect(stdout).toBe('');
    expect(stderr).toContain(`cannot reach minapush at ${url} (connection refused)`);
    expect(stderr).toContain('MINAPUSH_URL');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('is reached on a port that fetch would refuse (its "bad ports" list)', async () => {
    // 4190 is on fetch's list: through fetch every request there fails with "bad port" before
    // any connection is tried
    const { code, stderr } = await run(['broadcast', 'show', 'x'], { url: 'http://127.0.0.1:4190' });
    expect(code).toBe(EXIT_REFUSED);
    expect(stderr).not.toMatch(/bad port/);
  });
});
