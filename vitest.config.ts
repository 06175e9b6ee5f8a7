import { defineConfig } from 'vitest/config';

// Tests spawn real git, go and podman; the machine has two cores, so keep files
// in separate processes but do not oversubscribe, and give slow builds room.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
