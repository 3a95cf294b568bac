import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// The Node entry only: where the built app is. `vite build` writes dist/app first, so the clean
// spares it (and removes the rest, such as maps of an earlier build). No source maps: the package
// ships none unless the app's are asked for (UI_SOURCEMAP, see vite.config.ts).
export default defineConfig({
  ...packageBuild({ index: 'src/index.ts' }),
  clean: ['!app/**'],
  sourcemap: false,
  shims: true,
  tsconfig: 'tsconfig.node.json',
});
