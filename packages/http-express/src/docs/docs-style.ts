/** The docs page's style sheet: system fonts, light and dark, no external resources. */
export const DOCS_STYLE = String.raw`:root {
  color-scheme: light dark;
  --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --border: #d1d9e0; --accent: #0969da;
  --get: #1a7f37; --post: #0969da; --put: #9a6700; --patch: #8250df; --delete: #cf222e; --other: #59636e;
  --s2: #1a7f37; --s3: #0969da; --s4: #9a6700; --s5: #cf222e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --border: #3d444d; --accent: #4493f8;
    --get: #3fb950; --post: #4493f8; --put: #d29922; --patch: #ab7df8; --delete: #f85149; --other: #9198a1;
    --s2: #3fb950; --s3: #4493f8; --s4: #d29922; --s5: #f85149;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
#docs { max-width: 1100px; margin: 0 auto; padding: 24px 20px 64px; }
a { color: var(--accent); }
code, .path, .type, .name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
p code, .desc code, .fact code { background: var(--panel); border: 1px solid var(--border); border-radius: 4px; padding: 0 4px; }
h1 { margin: 0 0 8px; font-size: 1.8em; }
h1 .version { margin-left: 10px; font-size: 0.5em; vertical-align: middle; padding: 2px 8px; border-radius: 10px; background: var(--panel); border: 1px solid var(--border); }
h2 { margin: 32px 0 8px; padding-bottom: 6px; border-bottom: 1px solid var(--border); text-transform: capitalize; }
h4 { margin: 18px 0 6px; font-size: 0.95em; }
.muted { color: var(--muted); }
.error { color: var(--delete); font-weight: 600; }
.tools { display: flex; gap: 8px; margin: 16px 0 8px; }
.tools input { flex: 1; padding: 6px 10px; font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; }
.tools button { padding: 6px 12px; font: inherit; color: inherit; background: var(--panel); border: 1px solid var(--border); border-radius: 6px; cursor: pointer; }
nav ul { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0; margin: 8px 0; }
nav .count { margin-left: 6px; color: var(--muted); font-size: 0.85em; }
details > summary { cursor: pointer; }
.op { margin: 8px 0; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); }
.op > summary { display: flex; align-items: center; gap: 12px; padding: 8px 12px; list-style: none; flex-wrap: wrap; }
.op > summary::-webkit-details-marker { display: none; }
.op[open] > summary { border-bottom: 1px solid var(--border); background: var(--panel); border-radius: 8px 8px 0 0; }
.op-body { padding: 4px 16px 16px; }
.method { min-width: 64px; text-align: center; padding: 2px 8px; border-radius: 4px; color: #fff; font-weight: 700; font-size: 0.8em; background: var(--other); }
.m-get { background: var(--get); } .m-post { background: var(--post); } .m-put { background: var(--put); }
.m-patch { background: var(--patch); } .m-delete { background: var(--delete); }
@media (prefers-color-scheme: dark) { .method { color: #0d1117; } }
.path { font-weight: 600; }
.summary { color: var(--muted); flex: 1; }
.lock, .required, .fact { font-size: 0.78em; padding: 0 6px; border-radius: 10px; border: 1px solid var(--border); color: var(--muted); white-space: nowrap; }
.required { color: var(--delete); border-color: currentColor; margin: 0 8px 0 6px; }
.fact { margin-left: 6px; }
.fact.warn { color: var(--put); border-color: currentColor; }
table.params { width: 100%; border-collapse: collapse; font-size: 0.93em; }
table.params th, table.params td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--border); }
table.params td .desc { margin: 0; }
.media { margin: 6px 0 10px; }
.media-type { margin-bottom: 4px; color: var(--muted); }
.schema { border-left: 3px solid var(--border); padding: 2px 0 2px 12px; }
.schema .head, .field .head { display: inline; }
.type { color: var(--patch); }
.name { font-weight: 600; margin-right: 8px; }
.desc { margin: 2px 0 4px; color: var(--muted); font-size: 0.93em; }
.desc.inline, .inline { display: inline; margin: 0; }
ul.props { list-style: none; margin: 4px 0; padding-left: 14px; border-left: 1px dashed var(--border); }
.field { margin: 6px 0; }
.field > details > summary { list-style-position: outside; }
.variants { margin: 6px 0 6px 14px; }
.variant { margin: 4px 0; padding-left: 8px; }
.variant-name { font-weight: 600; }
.items { margin: 4px 0 4px 14px; }
.response { margin: 6px 0; }
.response > summary { padding: 2px 0; }
.status { display: inline-block; min-width: 44px; text-align: center; font-weight: 700; border-radius: 4px; padding: 0 6px; color: #fff; background: var(--other); }
.s2 { background: var(--s2); } .s3 { background: var(--s3); } .s4 { background: var(--s4); } .s5 { background: var(--s5); }
@media (prefers-color-scheme: dark) { .status { color: #0d1117; } }
`;
