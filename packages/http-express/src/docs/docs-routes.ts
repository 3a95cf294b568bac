/**
 * `<mount>/openapi.json` and `<mount>/docs`: the built-in docs page, or Swagger UI from a
 * directory the host names. Only the files listed here are served under `/docs/`; any other
 * path there falls through to the router's JSON 404.
 */
import path from 'node:path';
import { BuilderError } from '@docker-builder/core';
import type { NextFunction, Request, Response, Router } from 'express';
import { DOCS_CONTENT_SECURITY_POLICY, docsHtml } from './docs-page.js';
import { DOCS_SCRIPT } from './docs-script.js';
import { DOCS_STYLE } from './docs-style.js';
import { SWAGGER_INIT_SCRIPT, swaggerUiFiles, swaggerUiHtml } from './swagger-ui.js';

export interface DocsOptions {
  /**
   * Serve Swagger UI at `<mount>/docs` instead of the built-in page, from this directory: that
   * of the `swagger-ui-dist` package, which you install yourself (`require('swagger-ui-dist').getAbsoluteFSPath()`).
   * Only its `swagger-ui.css` and `swagger-ui-bundle.js` are served.
   */
  swaggerUiDir?: string;
}

export function mountDocs(router: Router, document: unknown, title: string, options: DocsOptions): void {
  router.get('/openapi.json', (_req, res) => void res.json(document));

  const swaggerUi = options.swaggerUiDir === undefined ? null : swaggerUiFiles(options.swaggerUiDir);
  router.get('/docs', (req, res) => {
    // The page's assets are relative to it; with a trailing slash they would miss.
    if (req.originalUrl.split('?')[0]!.endsWith('/')) return res.redirect(301, '../docs');
    if (!swaggerUi) res.setHeader('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY);
    res.type('html').send(swaggerUi ? swaggerUiHtml(title) : docsHtml(title));
  });

  if (swaggerUi) {
    router.get('/docs/swagger-init.js', text('js', SWAGGER_INIT_SCRIPT));
    for (const [name, file] of swaggerUi) {
      router.get(`/docs/${name}`, (_req: Request, res: Response, next: NextFunction) => {
        // Relative to the directory, so that a dot in its path (pnpm's node_modules/.pnpm) is not taken for a hidden file.
        res.sendFile(path.basename(file), { root: path.dirname(file), headers: { 'X-Content-Type-Options': 'nosniff' } }, (error) => {
          if (error && !res.headersSent) next(new BuilderError('NOT_FOUND', `${name} is no longer in docs.swaggerUiDir.`));
        });
      });
    }
  } else {
    router.get('/docs/docs.js', text('js', DOCS_SCRIPT));
    router.get('/docs/docs.css', text('css', DOCS_STYLE));
  }
}

function text(type: string, body: string) {
  return (_req: Request, res: Response) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type(type).send(body);
  };
}
