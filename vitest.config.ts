import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Protocol tests open real sockets on port 0; two workers fit the 2-core machines CI runs on.
    pool: 'forks',
    maxWorkers: 2,
    // Every test must assert something: a test that can't fail proves nothing.
    expect: { requireAssertions: true },
  },
});
