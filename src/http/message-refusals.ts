import type { RequestHandler } from 'express';
import type { SandboxSignals } from '../shared/sandbox-signals.js';

/** The endpoints that take a message in: `POST /api/v1/messages` (raw bytes) and `POST /api/v1/send` (JSON). */
const messageIntake = new Set(['/api/v1/messages', '/api/v1/send']);

/** Refusal statuses as the labels of `mailsandbox_messages_rejected_total{protocol="http"}`. */
const reasons: Record<number, string> = { 409: 'limit', 413: 'size', 507: 'storage' };

/**
 * Counts a message the HTTP API refused for its size or a store limit, as SMTP and IMAP count theirs. Mounted before
 * the body guards so a `Content-Length` refused at once is counted too; the status is read when the answer is sent.
 */
export function countMessageRefusals(signals: SandboxSignals): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'POST' && messageIntake.has(req.originalUrl.split('?')[0].replace(/\/+$/, ''))) {
      res.once('finish', () => {
        const reason = reasons[res.statusCode];
        if (reason) signals.messageRejected('http', reason);
      });
    }
    next();
  };
}
