/**
 * Swagger UI at `<mount>/docs` instead of the built-in page, from a directory the host passes
 * (the `swagger-ui-dist` package, which this package does not depend on: it is 12 MB and its
 * install script reports installs over the network). Only the files the page needs are
 * served from it, never the rest of the directory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { escapeHtml } from './docs-page.js';

export const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

/** The files to serve, by name; throws, when the router is made, if the directory lacks one. */
export function swaggerUiFiles(dir: string): Map<string, string> {
  const root = path.resolve(dir);
  const files = new Map<string, string>();
  for (const name of SWAGGER_UI_FILES) {
    const file = path.join(root, name);
    if (!existsSync(file)) {
      throw new Error(
        `docs.swaggerUiDir (${dir}) has no ${name}: pass the directory of the swagger-ui-dist package, ` +
          "e.g. require('swagger-ui-dist').getAbsoluteFSPath(), or leave swaggerUiDir out for the built-in docs page.",
      );
    }
    files.set(name, file);
  }
  return files;
}

export function swaggerUiHtml(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/swagger-init.js"></script>
</body>
</html>
`;
}

export const SWAGGER_INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  // Its default sends the document to validator.swagger.io: nothing leaves the host's network.
  validatorUrl: null,
});
`;
