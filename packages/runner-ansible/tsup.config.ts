import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// shims: the CommonJS build needs `import.meta.url` too, to find supervisor/ beside dist/.
export default defineConfig(packageBuild({ index: 'src/index.ts' }, { shims: true }));
