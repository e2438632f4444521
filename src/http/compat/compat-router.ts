import { Router } from 'express';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { declaredLengthGuard } from '../body-limit.js';
import { HttpError } from '../errors.js';
import type { HttpContext } from '../http-context.js';
import { crossSiteGuard } from '../security.js';

type Method = 'get' | 'post' | 'put' | 'delete';
export type CompatHandlers = Partial<Record<Method, RequestHandler | RequestHandler[]>>;

/**
 * A router for a compatibility API (SPEC §16) with the same HTTP safety as `/api` (SPEC §8): no caching, CORP
 * same-origin, nosniff, cross-site requests refused, oversized bodies refused before they are read. Host and Basic
 * auth checks already run for every path in app.ts.
 */
export function compatRouter(h: HttpContext): Router {
  const router = Router({ mergeParams: true });
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  router.use(crossSiteGuard);
  router.use(declaredLengthGuard(Math.max(h.ctx.config.maxMessageSize, h.ctx.config.limits.httpJsonBody)));
  return router;
}

/** One path with its methods; any other method is a 405 naming the allowed ones. */
export function compatRoute(router: Router, path: string, handlers: CompatHandlers): void {
  const r = router.route(path);
  const allowed: string[] = [];
  for (const [method, handler] of Object.entries(handlers) as Array<[Method, RequestHandler | RequestHandler[]]>) {
    r[method](...[handler].flat());
    allowed.push(method.toUpperCase(), ...(method === 'get' ? ['HEAD'] : []));
  }
  r.all((req) => {
    throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here; use ${allowed.join(', ')}`, undefined, { Allow: allowed.join(', ') });
  });
}

/**
 * Mailpit and MailHog answer errors as plain text (Mailpit: 400 with the message, 404 "not found"); their clients
 * show the body as is. Our own statuses are kept (413, 415, 405, 403 say more than a bare 400). Anything that is not
 * an HttpError goes on to the app's handler, which logs it and answers 500.
 */
export const textErrors: ErrorRequestHandler = (err, _req, res, next) => {
  if (!(err instanceof HttpError) && !isBodyError(err)) return next(err);
  if (res.headersSent) return void res.destroy();
  const status = err instanceof HttpError ? err.status : (err as { status: number }).status;
  if (err instanceof HttpError) for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
  res.status(status).type('text/plain').send(err instanceof HttpError ? err.message : 'Bad request');
};

function isBodyError(err: unknown): boolean {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** Unknown paths under the prefix: a plain 404, not the UI's HTML. */
export const textNotFound: RequestHandler = (req, res) => {
  res.status(404).type('text/plain').send(`No such endpoint: ${req.method} ${req.originalUrl.split('?')[0].slice(0, 200)}`);
};
