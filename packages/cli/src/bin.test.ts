import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'minapush.js');

describe('bin/minapush.js', () => {
  it('in a checkout that is not built, says to build first (no stack trace) and exits 1', async () => {
    // the bin as it sits in a fresh clone: packages/cli/bin/ without packages/cli/dist/
    const cli = mkdtempSync(path.join(tmpdir(), 'minapush-unbuilt-'));
    mkdirSync(path.join(cli, 'bin'));
    copyFileSync(bin, path.join(cli, 'bin', 'minapush.js'));
    writeFileSync(path.join(cli, 'package.json'), '{"type":"module"}');
    const run = promisify(execFile)(process.execPath, [path.join(cli, 'bin', 'minapush.js'), 'inventory']);
    const failure = await run.then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('the command line is not built yet');
    expect(failure?.stderr).toContain('Run `npm run build` first');
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
    expect(failure?.stdout).toBe('');
  });
});
