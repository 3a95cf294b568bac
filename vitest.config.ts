import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests import the packages by name; this condition resolves them to their TypeScript sources.
const conditions = ['@docker-builder/source', ...defaultServerConditions];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.{ts,tsx}', 'examples/*/test/**/*.test.ts'],
    globalSetup: ['test-support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
