import { defineConfig } from 'vite';

// Relative asset URLs (base './') and hash routing let the built UI live under any path:
// at "/", or behind a proxy at "/admin/builder/", without rewrites.
export default defineConfig({
  root: 'app',
  base: './',
  build: { outDir: '../dist/app', emptyOutDir: true, sourcemap: true },
  server: {
    port: 3000,
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
});
