#!/usr/bin/env node
// The log doctor CLI (src/log-doctor/cli.ts), built to dist/ by `pnpm build`.
import "../dist/log-doctor-cli.js";
