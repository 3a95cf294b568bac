import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig(packageBuild({ index: 'src/index.ts', 'log-doctor-cli': 'src/log-doctor/cli.ts' }));
