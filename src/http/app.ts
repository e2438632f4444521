import express from 'express';
import type { Express } from 'express';
import { declaredLengthGuard } from './body-limit.js';
import { apiNotFound, errorHandler } from './errors.js';
import type { HttpContext } from './http-context.js';
import { countMessageRefusals } from './message-refusals.js';
import { registerRoutes } from './routes.js';
import { basicAuth, crossSiteGuard, hostGuard, hostPolicyOf } from './security.js';
import { staticUi } from './static-ui.js';

/** The express app: no listening here, so it can be mounted or tested on its own. */
export function createApp(h: HttpContext, uiDir?: string): Express {
  const { config, logger } = h.ctx;
  const app = express();
  app.disable('x-powered-by');
  // Order matters: who may talk to us at all (Host, auth) before whose page is asking (cross-site, any method).
  app.use(hostGuard(hostPolicyOf(config)));
  app.use(basicAuth(config.uiAuth));
  app.use('/api', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    // Even a response a cross-site page can't read must not reach its process (Spectre-class leaks).
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    // JSON carries mail text (subjects, bodies); no browser may sniff it into HTML or script.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use('/api', crossSiteGuard);
  app.use('/api', countMessageRefusals(h.ctx.signals));
  // No endpoint takes more than a message; a larger declared body is refused before any route waits on it.
  app.use('/api', declaredLengthGuard(Math.max(config.maxMessageSize, config.limits.httpJsonBody)));
  registerRoutes(app, h);
  app.use('/api', apiNotFound);
  app.use(staticUi(uiDir));
  app.use(errorHandler(logger));
  return app;
}
