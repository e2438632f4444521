import type { RequestHandler } from 'express';
import { toSummary } from '../../store/message-view.js';
import { defaultWaitMs } from '../../store/message-waiter.js';
import { WaitAbortedError, WaitTimeoutError, WaiterLimitError } from '../../store/message-waiter.js';
import { compileFilter } from '../../store/query.js';
import type { StoredMessage } from '../../store/types.js';
import { HttpError } from '../errors.js';
import type { HttpContext } from '../http-context.js';
import { filterParams, intParam, sinceParam, timeoutParam } from '../params.js';
import { maxLimit } from './messages.js';

/**
 * `GET /api/v1/messages/wait`: a server-side blocking wait. Answers `{ messages }` (oldest first) once `count`
 * matches exist after `since`; 408 on timeout; 429 when too many waits are blocked. The waiter is released as
 * soon as the client goes away, so abandoned long-polls never pile up against the cap.
 */
export const waitForMessages = (h: HttpContext): RequestHandler => async (req, res) => {
  const { store, config } = h.ctx;
  const filter = filterParams(req);
  const count = intParam(req, 'count', 1, maxLimit, 1);
  const timeoutMs = timeoutParam(req, defaultWaitMs, config.limits.maxWaitMs);
  const since = sinceParam(req, h.ctx);
  const predicate = compileFilter(filter, { lowerBodyText: h.ctx.lowerBodyText });
  const gone = new AbortController();
  // The wait ends early when the response closes before it was sent (the client hung up) or the server closes.
  const onClose = () => {
    if (!res.writableFinished) gone.abort();
  };
  const onClosing = () => gone.abort();
  res.on('close', onClose);
  h.closing.addEventListener('abort', onClosing, { once: true });
  try {
    const found = await h.ctx.waiters.wait({ match: (m) => predicate(m, store), count, since, timeoutMs, signal: gone.signal });
    res.json({ messages: found.map((m) => toSummary(store, m)) });
  } catch (err) {
    throw toWaitError(err, h);
  } finally {
    res.off('close', onClose);
    h.closing.removeEventListener('abort', onClosing);
  }
};

function toWaitError(err: unknown, h: HttpContext): unknown {
  if (err instanceof WaitTimeoutError) {
    // Just enough to explain the timeout: counts and one line per arrival, no bodies.
    const arrived = err.arrived.map((m) => brief(m));
    return new HttpError(408, 'timeout', err.message, { found: err.found.length, arrivedCount: err.arrivedCount, arrived });
  }
  if (err instanceof WaiterLimitError) return new HttpError(429, 'too_many_waiters', err.message, undefined, { 'Retry-After': '1' });
  // Aborted: the client went away (nobody reads this) or the sandbox is closing. Connection: close, so the
  // keep-alive socket doesn't hold the server's close() up.
  if (err instanceof WaitAbortedError) return new HttpError(503, 'closing', 'The server is shutting down', undefined, { Connection: 'close' });
  return err;
}

function brief(m: StoredMessage): { id: string; subject: string; from: string | null; to: string[] } {
  return { id: m.id, subject: m.summary.subject, from: m.summary.from?.address ?? null, to: [...new Set([...m.summary.to.map((a) => a.address), ...m.envelope.rcptTo])] };
}
