import type { RequestHandler } from 'express';
import { SendValidationError } from '../../mime/compose-message.js';
import { toSummary } from '../../store/message-view.js';
import { StoreError } from '../../store/types.js';
import { sendMessage } from '../../shared/send-message.js';
import { HttpError } from '../errors.js';
import type { HttpContext } from '../http-context.js';
import { requireJson } from './messages.js';

/** `POST /api/v1/send`: JSON in, a MIME message stored as received (source `api`), 201 with its summary. */
export const sendJson = (h: HttpContext): RequestHandler => async (req, res) => {
  requireJson(req);
  try {
    const message = await sendMessage(h.ctx, req.body, { tls: false, remoteAddress: req.socket.remoteAddress });
    res.status(201).location(`/api/v1/messages/${message.id}`).json(toSummary(h.ctx.store, message));
  } catch (err) {
    if (err instanceof SendValidationError) throw new HttpError(400, 'bad_request', err.message, { field: err.field });
    if (err instanceof StoreError && err.code === 'OVERQUOTA') throw new HttpError(507, 'over_quota', err.message);
    if (err instanceof StoreError && err.code === 'TOOBIG') throw new HttpError(413, 'too_large', err.message);
    // A store limit (mailboxes, a folder's messages) refuses it as POST /api/v1/messages does.
    if (err instanceof StoreError) throw new HttpError(409, err.code.toLowerCase(), err.message);
    throw err;
  }
};
