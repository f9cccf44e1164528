import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Real HTTP, Postgres and Redis: under a full `npm test` on two cores a test can take well
    // past vitest's default 5 s without anything being wrong.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
