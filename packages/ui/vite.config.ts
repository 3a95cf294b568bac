import { defineConfig } from 'vite';

// No source maps by default: hosts serve dist/app as it is (`express.static(uiAssetsDir())`), and a
// map beside the bundle would publish a megabyte of our sources on every host. Opt in for debugging:
// UI_SOURCEMAP=true (maps, referenced by the bundle) or UI_SOURCEMAP=hidden (maps written for an
// error tracker, not referenced, so browsers never ask for them).
function sourcemap(value = process.env.UI_SOURCEMAP): boolean | 'hidden' {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true' || value === 'hidden') return value === 'true' ? true : 'hidden';
  throw new Error(`UI_SOURCEMAP=${value} is not understood: set it to "true" or "hidden", or leave it unset for no source maps.`);
}

// Relative asset URLs (base './') and hash routing let the built UI live under any path:
// at "/", or behind a proxy at "/admin/builder/", without rewrites.
export default defineConfig({
  root: 'app',
  base: './',
  build: { outDir: '../dist/app', emptyOutDir: true, sourcemap: sourcemap() },
  server: {
    port: 3000,
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
});
