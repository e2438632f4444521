import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// `npm run dev:ui`-style development: point MAILSANDBOX_URL at a running sandbox and Vite proxies the API to it.
const target = process.env.MAILSANDBOX_URL ?? 'http://127.0.0.1:8025';

export default defineConfig({
  root: here,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../ui-dist', import.meta.url)),
    emptyOutDir: true,
    // The server's CSP forbids inline scripts; keep every asset a file (no data: URL modules).
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    proxy: { '/api': { target, ws: true, changeOrigin: false } },
  },
});
