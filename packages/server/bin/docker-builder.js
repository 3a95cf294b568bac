#!/usr/bin/env node
// The service's command line (src/cli.ts), built to dist/ by `pnpm build`.
import "../dist/cli.js";
