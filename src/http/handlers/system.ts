import type { RequestHandler } from 'express';
import type { HttpContext } from '../http-context.js';

export const getInfo = (h: HttpContext): RequestHandler => (_req, res) => {
  res.json(h.info());
};

/**
 * Answering at all means the HTTP listener is up; the others were started before it and fail start-up if they can't
 * listen. With a shared store (PostgreSQL) it is also ready only while the database is reachable: 503 otherwise, so a
 * load balancer sends mail elsewhere.
 */
export const healthz = (h: HttpContext): RequestHandler => (_req, res) => {
  res.setHeader('Cache-Control', 'no-store');
  const ready = h.ctx.store.ready;
  if (!ready.ok) return void res.status(503).json({ status: 'unavailable', reason: ready.reason });
  res.json({ status: 'ok' });
};
