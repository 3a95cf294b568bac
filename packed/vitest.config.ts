import { defineConfig } from 'vitest/config';

// `pnpm test:packages`: the packages as a stranger gets them. global-setup.ts builds and packs
// every publishable package and installs the tarballs with plain npm into fresh projects outside
// the workspace; the files run programs there. No `@docker-builder/source` condition: nothing
// here may reach the sources.
export default defineConfig({
  test: {
    name: 'packed',
    root: new URL('.', import.meta.url).pathname,
    include: ['**/*.packed.test.ts'],
    globalSetup: ['global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
