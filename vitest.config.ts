import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests import the packages by name; this condition resolves them to their TypeScript sources.
const conditions = ['@docker-builder/source', ...defaultServerConditions];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    globalSetup: ['test-support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/test/**/*.test.{ts,tsx}', 'examples/*/test/**/*.test.ts'] },
      },
      {
        // The reliability suite: faults injected for real (processes killed, Redis stopped,
        // clients dropped) that the README's promises rest on. `pnpm test:faults` runs it alone.
        extends: true,
        test: { name: 'faults', include: ['faults/**/*.faults.test.ts'], testTimeout: 60_000 },
      },
      {
        // The container image and compose.yaml, built and run on a private dockerd (slow: the
        // image is built once per run, by container/global-setup.ts, added to the root's, and
        // shared by the files). The files run one at a time: on CI's two cores, compose's workers,
        // the servers and the builds of several files at once would starve each other and the
        // timings the tests check (docker stop within its deadline). `pnpm test:container` runs it alone.
        extends: true,
        test: {
          name: 'container',
          include: ['container/**/*.container.test.ts'],
          globalSetup: ['container/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
