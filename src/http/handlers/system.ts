import type { RequestHandler } from 'express';
import type { HttpContext } from '../http-context.js';

export const getInfo = (h: HttpContext): RequestHandler => (_req, res) => {
  res.json(h.info());
};

/** Answering at all means the HTTP listener is up; the others were started before it and fail start-up if they can't listen. */
export const healthz: RequestHandler = (_req, res) => {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ status: 'ok' });
};
