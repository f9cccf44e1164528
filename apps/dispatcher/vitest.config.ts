import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: every test waits on conditions, and on a loaded 2-core machine (turbo runs the
    // suites side by side) a harness with its sandbox, API and workers takes a while to settle.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
