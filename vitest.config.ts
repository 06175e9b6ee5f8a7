import { defineConfig } from 'vitest/config';

// Tests spawn real git, go and podman; the machine has two cores, so keep files
// in separate processes but do not oversubscribe, and give slow builds room.
//
// Two projects: `fast` (everything on stand-ins, minutes) and `real` (test/real/:
// the real Kubernetes v1.20.2 release and real runc trees, real kubelet builds of
// 5-6 minutes each). `npm test` runs fast first, then real with one worker
// (`--no-file-parallelism`; `--maxWorkers=1` does not serialise files of a project), so a real build never competes with the fast suite or with
// another real build for the two cores. `npm run test:fast` runs the fast suite alone.
export default defineConfig({
  test: {
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: ['test/real/**'] },
      },
      {
        extends: true,
        test: {
          name: 'real',
          include: ['test/real/**/*.test.ts'],
          // A real kubelet build takes 5-6 minutes on two quiet cores; far more on a busy machine.
          testTimeout: 45 * 60_000,
          hookTimeout: 45 * 60_000,
        },
      },
    ],
  },
});
