import type { Request } from 'express';
import type { ServerContext } from '../shared/server-context.js';
import type { SincePoint } from '../store/message-waiter.js';
import type { MessageFilter } from '../store/query.js';
import { badRequest } from './errors.js';

/** Query parameters arrive as string | string[] | object; anything but one string is a client error. */
export function stringParam(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`${name} must be given once, as a plain value`);
  return v;
}

export function intParam(req: Request, name: string, min: number, max: number, fallback: number): number {
  const v = stringParam(req, name);
  if (v === undefined || v === '') return fallback;
  if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) throw badRequest(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v);
}

/** `500`, `500ms`, `10s`, `2m` → milliseconds; null when not a duration. */
export function parseDuration(v: string): number | null {
  const m = /^(\d{1,9})(ms|s|m)?$/.exec(v.trim());
  if (!m) return null;
  const unit = m[2] ?? 'ms';
  return Number(m[1]) * (unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1);
}

export function timeoutParam(req: Request, fallback: number, max: number): number {
  const v = stringParam(req, 'timeout');
  if (v === undefined || v === '') return Math.min(fallback, max);
  const ms = parseDuration(v);
  if (ms === null || ms < 1 || ms > max) throw badRequest(`timeout must be 1 to ${max} ms, as milliseconds or a duration like 500ms or 10s; got ${JSON.stringify(v.slice(0, 40))}`);
  return ms;
}

/** `query` and `mailbox`, the filter every message endpoint takes. */
export function filterParams(req: Request): MessageFilter {
  const query = stringParam(req, 'query');
  const mailbox = stringParam(req, 'mailbox');
  return { ...(query ? { query } : {}), ...(mailbox ? { mailbox } : {}) };
}

/**
 * `since=`: a message id (messages stored after it), `start` (everything), epoch milliseconds or an ISO
 * timestamp (received after it). Default: the request time, as the highest sequence number stored so far —
 * a clock-free point, so a message stored in the same millisecond as the request is never lost or double-counted.
 */
export function sinceParam(req: Request, ctx: ServerContext): SincePoint {
  const v = stringParam(req, 'since');
  if (v === undefined || v === '') return { seq: ctx.store.lastSeq };
  if (v === 'start') return { seq: 0 };
  const m = ctx.store.get(v);
  if (m) return { seq: m.seq };
  if (/^\d{1,15}$/.test(v)) return { time: Number(v) };
  const t = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isNaN(t)) return { time: t };
  throw badRequest(`since must be a stored message id, an ISO timestamp or epoch milliseconds; got ${JSON.stringify(v.slice(0, 60))}`);
}
