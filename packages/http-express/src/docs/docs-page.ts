/**
 * The built-in docs page: a few kilobytes of HTML, CSS and script of our own that render the
 * OpenAPI document served beside it. Nothing from a CDN, no telemetry, works offline. Every
 * URL is relative, so it works wherever the router is mounted.
 */

/** Only this page's own files and openapi.json: a host's stricter policy still applies on top. */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

export function docsHtml(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="docs/docs.css">
  <script src="docs/docs.js" defer></script>
</head>
<body>
  <main id="docs" data-openapi="openapi.json">
    <h1>${escapeHtml(title)}</h1>
    <p>Loading the API description from <a href="openapi.json">openapi.json</a>…</p>
    <noscript><p>This page needs JavaScript to render <a href="openapi.json">the OpenAPI document</a>; the document itself is plain JSON.</p></noscript>
  </main>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
