#!/usr/bin/env node
// The `minapush` command (`npx minapush` from a checkout). It runs the built CLI; a checkout that
// has not been built yet gets one line saying so instead of a module-not-found stack trace.
import { existsSync } from 'node:fs';

const built = new URL('../dist/main.js', import.meta.url);
if (!existsSync(built)) {
  console.error(
    'minapush: the command line is not built yet (packages/cli/dist/main.js is missing).\n' +
      '  Run `npm run build` first (or `npm start`, which builds it), then try again.',
  );
  process.exit(1);
}
await import(built.href);
