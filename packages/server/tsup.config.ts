import { defineConfig } from 'tsup';

// An application, not a library: ESM only (it finds its bundled playbook through import.meta.url),
// no declarations; the workspace packages stay dependencies, resolved from node_modules.
export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  target: 'node20',
  clean: true,
  sourcemap: false,
  splitting: true,
});
