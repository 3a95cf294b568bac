import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// The Node entry only: where the built app is. `vite build` writes dist/app first; keep it.
export default defineConfig({ ...packageBuild({ index: 'src/index.ts' }), clean: false, shims: true, tsconfig: 'tsconfig.node.json' });
