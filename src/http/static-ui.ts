import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { RequestHandler, Router } from 'express';
import { uiCsp } from './security.js';

/**
 * The built web UI. This file runs from `src/http/` (tests) or `dist/http/` (the package); either way the
 * package root is two levels up, and the UI build lands in `<root>/ui-dist`.
 */
export const uiDir = fileURLToPath(new URL('../../ui-dist/', import.meta.url));

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mailsandbox</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#8882;padding:0 .2em}</style>
</head><body><h1>mailsandbox</h1>
<p>The web UI isn't built in this installation (no <code>ui-dist/</code>). Run <code>npm run build:ui</code>, or use the
REST API: <a href="/api/v1/info">/api/v1/info</a>, <a href="/api/v1/messages">/api/v1/messages</a>.</p>
</body></html>
`;

const uiHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', uiCsp);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
};

/** Serves `ui-dist/` with the UI's strict CSP; any other page path gets `index.html` (client-side routing). */
export function staticUi(dir = uiDir): Router {
  const router = express.Router();
  const index = join(dir, 'index.html');
  router.use(uiHeaders);
  router.use(express.static(dir, { index: 'index.html', fallthrough: true, dotfiles: 'ignore' }));
  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // A missing asset is a 404, not the index page (which would fail confusingly as a script).
    if (/\.[A-Za-z0-9]{1,8}$/.test(req.path)) return res.status(404).type('text/plain').send('Not found\n');
    // Checked per request: the UI may be built while a dev server runs.
    if (existsSync(index)) return res.sendFile(index);
    res.type('html').send(notBuiltPage);
  });
  return router;
}
