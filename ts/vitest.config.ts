import { defineConfig } from 'vitest/config';

// Test files run in separate processes (real captures, real servers, signals); two at a time on this
// 2-core machine. Each test that needs the network makes its own servers on its own ports.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
