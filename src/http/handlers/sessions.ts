import type { RequestHandler } from 'express';
import type { SessionSummary } from '../../store/view-types.js';
import type { Protocol, SessionRecord } from '../../store/session-log.js';
import { badRequest, notFound } from '../errors.js';
import type { HttpContext } from '../http-context.js';
import { intParam, stringParam } from '../params.js';

/** A session without its lines: lists of hundreds of sessions stay small; `/sessions/:id` has the transcript. */
export function toSessionSummary(s: SessionRecord): SessionSummary {
  return {
    id: s.id,
    protocol: s.protocol,
    startedAt: s.startedAt.toISOString(),
    endedAt: s.endedAt?.toISOString() ?? null,
    remoteAddress: s.remoteAddress,
    localPort: s.localPort,
    tls: s.tls,
    user: s.user,
    lineCount: s.lineCount,
    droppedLines: s.droppedLines,
  };
}

const protocols: readonly Protocol[] = ['smtp', 'pop3', 'imap'];

/** `GET /api/v1/sessions?protocol=&limit=`: newest first, summaries. */
export const listSessions = (h: HttpContext): RequestHandler => (req, res) => {
  const protocol = stringParam(req, 'protocol');
  if (protocol !== undefined && protocol !== '' && !protocols.includes(protocol as Protocol)) {
    throw badRequest(`protocol must be one of ${protocols.join(', ')}`);
  }
  const limit = intParam(req, 'limit', 0, h.ctx.config.limits.sessionHistory, h.ctx.config.limits.sessionHistory);
  const all = h.ctx.sessions.list((protocol || undefined) as Protocol | undefined);
  res.json({ total: all.length, sessions: all.slice(0, limit).map(toSessionSummary) });
};

/** `GET /api/v1/sessions/:id`: the summary plus every transcript line (`{ at, dir, line }`, `at` in ms). */
export const getSession = (h: HttpContext): RequestHandler => (req, res) => {
  const s = h.ctx.sessions.get(String(req.params.id));
  if (!s) throw notFound('Session');
  res.json({ ...toSessionSummary(s), lines: s.lines });
};
