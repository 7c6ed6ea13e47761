import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // Two cores: end-to-end tests spawn servers, so keep parallelism modest.
    maxWorkers: 2,
  },
});
