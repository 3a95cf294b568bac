#!/usr/bin/env node
// The token CLI (src/token-cli.ts), built to dist/ by `pnpm build`.
import "../dist/token-cli.js";
