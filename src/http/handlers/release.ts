import type { RequestHandler } from 'express';
import { RelayError } from '../../relay/relay.js';
import { HttpError, badRequest } from '../errors.js';
import type { HttpContext } from '../http-context.js';

/**
 * `POST /api/v1/messages/:id/release` `{ "to": [...] }` (default: the original recipients): 200 `{ relayedTo, reply }`;
 * 422 naming recipients the allow-list refuses (nothing sent); 409 without `--relay`; 502 with the relay's reply.
 */
export const releaseMessage = (h: HttpContext): RequestHandler => async (req, res) => {
  const relay = h.relay?.();
  if (!relay) throw new HttpError(409, 'relay_not_configured', 'No relay is configured: start with --relay smtp://user:pass@host:port and --relay-allow PATTERN');
  const to = parseTo(req.body);
  try {
    res.json(await relay.release(String(req.params.id), to));
  } catch (err) {
    if (err instanceof RelayError) throw new HttpError(err.status, err.code, err.message, err.reply ? { reply: err.reply } : undefined);
    throw err;
  }
};

/** `GET /api/v1/relay`: whether a relay is configured, where (no credentials) and what the allow-list permits. */
export const getRelay = (h: HttpContext): RequestHandler => (_req, res) => {
  const relay = h.relay?.();
  res.json(relay ? { configured: true, relay: relay.display, allow: [...relay.settings.allow], auto: relay.settings.auto ?? null, returnPath: relay.settings.returnPath ?? null } : { configured: false, relay: null, allow: [], auto: null, returnPath: null });
};

/** An empty body (or no `to`) means the original recipients. */
function parseTo(body: unknown): string[] | undefined {
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) return undefined;
  const to = (body as { to?: unknown }).to;
  if (to === undefined) return undefined;
  const list = typeof to === 'string' ? to.split(',') : to;
  if (!Array.isArray(list) || list.some((a) => typeof a !== 'string' || /[\r\n\u0000<>]/.test(a))) throw badRequest('to: must be an address or a list of addresses');
  return list as string[];
}
