import type { RequestHandler } from 'express';
import type { HttpContext } from '../http-context.js';

/** `GET /api/v1/webhooks`: recent webhook deliveries, newest first, and what is configured (URLs, events). */
export const listWebhooks = (h: HttpContext): RequestHandler => (_req, res) => {
  const w = h.webhooks?.();
  res.json({
    urls: w ? [...w.settings.urls] : [],
    events: w ? [...w.settings.events] : [],
    signed: !!w?.settings.secret,
    pending: w?.pending ?? 0,
    deliveries: w?.deliveries() ?? [],
  });
};

/** `GET /metrics`: the Prometheus text exposition (SPEC §15). */
export const getMetrics = (h: HttpContext): RequestHandler => async (_req, res) => {
  const metrics = h.metrics?.();
  if (!metrics) {
    res.status(404).type('text/plain').send('metrics are not available\n');
    return;
  }
  const { contentType, body } = await metrics.scrape();
  res.setHeader('Cache-Control', 'no-store');
  res.type(contentType).send(body);
};
