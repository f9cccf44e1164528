import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PACKAGE_DIR = resolve(__dirname, '../..');

/**
 * Builds the package the way `npm run build` does, into a directory of its own (so tests never
 * race a build of miniprogram_dist), and answers that directory and how to remove it.
 */
export function buildPackageCopy(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'minapush-sdk-'));
  const built = spawnSync(process.execPath, [join(PACKAGE_DIR, 'scripts/build.mjs'), '--out-dir', dir], {
    encoding: 'utf8',
  });
  if (built.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
