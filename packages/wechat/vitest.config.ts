import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Some tests wait for client timeouts on purpose; under a full `npm test` on two cores those
    // waits stretch well past vitest's default 5 s.
    testTimeout: 30_000,
  },
});
