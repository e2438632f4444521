import type { RequestHandler } from 'express';
import { toSummary } from '../../store/message-view.js';
import { badRequest, notFound } from '../errors.js';
import type { HttpContext } from '../http-context.js';
import { requireJson } from './messages.js';

/** `PUT /api/v1/messages/:id/tags` `{ "tags": [...] }`: replaces the message's tags; answers the summary. */
export const putTags = (h: HttpContext): RequestHandler => async (req, res) => {
  requireJson(req);
  const id = String(req.params.id);
  const tags = (req.body as { tags?: unknown } | undefined)?.tags;
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) throw badRequest('tags: must be a list of strings, like {"tags": ["signup", "qa"]}');
  if ((await h.ctx.store.exclusive(() => h.ctx.store.setTags(id, tags as string[]))) === undefined) throw notFound(`Message ${JSON.stringify(id.slice(0, 40))}`);
  await h.ctx.store.durable();
  res.json(toSummary(h.ctx.store, h.ctx.store.get(id)!));
};

/** `GET /api/v1/tags`: every tag in use with how many messages carry it, most used first (the UI's tag filter). */
export const listTags = (h: HttpContext): RequestHandler => (_req, res) => {
  const counts = new Map<string, { tag: string; count: number }>();
  for (const m of h.ctx.store.newestFirst()) {
    for (const tag of m.tags) {
      const entry = counts.get(tag.toLowerCase());
      if (entry) entry.count++;
      else counts.set(tag.toLowerCase(), { tag, count: 1 });
    }
  }
  res.json({ tags: [...counts.values()].sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag)) });
};
