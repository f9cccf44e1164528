import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium; CHROMIUM_PATH names another Chromium or Chrome binary. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags measured to work on these machines (shared/notes/toolchain.md). */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure a Chromium is there for the browser tests, never through `playwright install` (it
 * downloads a browser build, which these machines cannot): as root with apt, Debian's `chromium`
 * package is installed; otherwise the test fails and says what to install.
 */
export function ensureChromium(): string {
  if (executable(CHROMIUM)) return CHROMIUM;
  const root = process.getuid?.() === 0;
  if (CHROMIUM === '/usr/bin/chromium' && root && hasCommand('apt-get')) {
    const apt = { stdio: 'inherit' as const, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
    // another apt run (a colleague's test on this machine) holds the lock for a while: wait for it
    const lock = ['-o', 'DPkg::Lock::Timeout=600'];
    execFileSync('apt-get', [...lock, 'update', '-q'], apt);
    execFileSync('apt-get', [...lock, 'install', '-y', '-q', '--no-install-recommends', 'chromium'], apt);
    if (executable(CHROMIUM)) return CHROMIUM;
  }
  throw new Error(
    `The browser tests drive Chromium at ${CHROMIUM}, and it is not there. Install Debian's package ` +
      '(`sudo apt-get install -y chromium`; the test set-up does it by itself when run as root with apt), ' +
      'or set CHROMIUM_PATH to a Chromium or Chrome binary. `playwright install` is not used.',
  );
}

/** A headless Chromium driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: FLAGS });
}
