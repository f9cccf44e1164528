import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The root scripts' own tests (`npm run test:scripts`, turbo's `//#test:scripts` under `npm test`).
// They run npm and `npm start` as real processes: minutes, not seconds, on a loaded machine.
export default defineConfig({
  root: path.dirname(fileURLToPath(import.meta.url)),
  test: {
    include: ['test/**/*.test.mjs'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // One file at a time: each starts a whole minapush or runs npm.
    fileParallelism: false,
  },
});
