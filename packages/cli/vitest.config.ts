import { defineConfig } from 'vitest/config';

// Unit tests beside the code; the CLI against a running minapush is tested from scripts/test/cli.test.mjs,
// which starts `npm start` and runs the built bin as a child process.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
  },
});
