/**
 * @docker-builder/ui: the web UI as static files. Serve the directory where you like:
 *
 *   app.use('/', express.static(uiAssetsDir()));
 *
 * The UI calls the API at `api/` relative to itself. When the API is mounted elsewhere, serve
 * `ui-config.json` beside the UI: `{ "api": "/path/to/api" }` (see uiConfig()).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built app (index.html and its assets). */
export function uiAssetsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // From dist/index.js it is dist/app; from src/index.ts (in this repository) it is ../dist/app.
  const candidates = [path.join(here, 'app'), path.join(here, '..', 'dist', 'app')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error('The UI is not built: run `pnpm --filter @docker-builder/ui build`.');
  return found;
}

export interface UiConfig {
  /** Where the API router is mounted, absolute or relative to the UI's own URL. Default "api". */
  api: string;
}

/** The body of `ui-config.json`, for a host that mounts the API away from the UI. */
export function uiConfig(config: UiConfig): string {
  return JSON.stringify(config);
}
