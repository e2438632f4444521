import type { RequestHandler } from 'express';
import { CheckNotConfiguredError } from '../../checks/message-checks.js';
import type { CheckName } from '../../checks/message-checks.js';
import { HttpError, notFound } from '../errors.js';
import type { HttpContext } from '../http-context.js';

/** `GET /api/v1/messages/:id/checks/<check>`; 409 naming the flag when the check is not configured (SPEC §14). */
export const getCheck = (h: HttpContext, check: CheckName): RequestHandler => async (req, res) => {
  const m = h.ctx.store.get(String(req.params.id));
  if (!m) throw notFound(`Message ${JSON.stringify(String(req.params.id).slice(0, 40))}`);
  try {
    res.json(await h.ctx.checks.run(check, m));
  } catch (err) {
    if (err instanceof CheckNotConfiguredError) throw new HttpError(409, 'not_configured', err.message, { flag: err.flag, check });
    // A down spamd or a broken signature library is the check's failure, not a bug of ours: say what went wrong.
    throw new HttpError(502, 'check_failed', `The ${check} check failed: ${(err as Error).message}`, { check });
  }
};

/** `GET /api/v1/messages/:id/checks`: every check; the unconfigured ones carry their error and flag. */
export const getAllChecks = (h: HttpContext): RequestHandler => async (req, res) => {
  const m = h.ctx.store.get(String(req.params.id));
  if (!m) throw notFound(`Message ${JSON.stringify(String(req.params.id).slice(0, 40))}`);
  res.json(await h.ctx.checks.all(m));
};
