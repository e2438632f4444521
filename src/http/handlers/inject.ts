import type { RequestHandler } from 'express';
import { toSummary } from '../../store/message-view.js';
import { summarizeHeaders } from '../../mime/header-summary.js';
import { toCrlf } from '../../mime/crlf.js';
import { defaultFolders, normalizeAddress, normalizeFolderName } from '../../store/mailbox.js';
import { StoreError } from '../../store/message-store.js';
import { InvalidFlagError, normalizeFlags } from '../../store/flags.js';
import { rawBody } from '../body-limit.js';
import { HttpError, badRequest } from '../errors.js';
import type { HttpContext } from '../http-context.js';
import { stringParam } from '../params.js';

/** Reads a `message/rfc822` body up to the message size limit (413 past it, at once); any other type is a 415. */
export function rawMessageBody(maxMessageSize: number): RequestHandler {
  const parse = rawBody(maxMessageSize);
  return (req, res, next) => {
    if (!req.is('message/rfc822')) return next(new HttpError(415, 'unsupported_media_type', 'Send the message as Content-Type: message/rfc822'));
    parse(req, res, next);
  };
}

function parseFlags(value: string | undefined): string[] {
  if (!value) return [];
  try {
    // `flags=seen` is friendlier in a URL than `flags=%5CSeen`; both mean \Seen.
    return normalizeFlags(value.split(/[,\s]+/).filter(Boolean));
  } catch (err) {
    if (err instanceof InvalidFlagError) throw badRequest(err.message);
    throw err;
  }
}

/**
 * `POST /api/v1/messages`: seeds a mailbox with raw bytes. Mailboxes come from `?mailbox=a,b` or else the
 * message's To/Cc. Bare LF line endings (an .eml saved on Unix, `curl --data-binary`) become CRLF, as SMTP
 * would have delivered them; the stored bytes are then served byte-exact everywhere.
 */
export const injectMessage = (h: HttpContext): RequestHandler => async (req, res) => {
  const { store, config } = h.ctx;
  if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw badRequest('The body must be the raw message (Content-Type: message/rfc822)');
  const raw = toCrlf(req.body);
  if (raw.length > config.maxMessageSize) throw new HttpError(413, 'too_large', `Message exceeds the limit of ${config.maxMessageSize} bytes`);
  const headers = summarizeHeaders(raw);
  const given = stringParam(req, 'mailbox');
  const mailboxes = given ? given.split(',').map((a) => a.trim()).filter(Boolean) : [...headers.to, ...headers.cc].map((a) => a.address).filter(Boolean);
  if (mailboxes.length === 0) throw badRequest('No mailbox: pass ?mailbox=address or give the message a To/Cc header');
  if (mailboxes.length > config.limits.maxRecipients) throw badRequest(`At most ${config.limits.maxRecipients} mailboxes`);
  for (const a of mailboxes) if (!addressPattern.test(a)) throw badRequest(`Not a mailbox address: ${JSON.stringify(a.slice(0, 100))}`);
  const folder = normalizeFolderName(stringParam(req, 'folder') ?? 'INBOX');
  for (const a of mailboxes) if (!folderExists(h, a, folder)) throw new HttpError(404, 'no_such_folder', `No folder ${JSON.stringify(folder)} in ${normalizeAddress(a)}`);
  const flags = parseFlags(stringParam(req, 'flags'));
  let message;
  try {
    message = await store.exclusive(() =>
      store.deliver({
        raw,
        envelope: { mailFrom: envelopeFrom(stringParam(req, 'from')) ?? headers.from?.address ?? '', rcptTo: mailboxes },
        source: 'api',
        connection: { tls: false, remoteAddress: req.socket.remoteAddress },
        targets: mailboxes.map((mailbox) => ({ mailbox, folder, flags })),
      }),
    );
  } catch (err) {
    if (err instanceof StoreError && err.code === 'OVERQUOTA') throw new HttpError(507, 'over_quota', err.message);
    if (err instanceof StoreError && err.code !== 'FULL' && err.code !== 'UNAVAILABLE') throw new HttpError(err.code === 'NONEXISTENT' ? 404 : 409, err.code.toLowerCase(), err.message);
    throw err;
  }
  await store.durable();
  res.status(201).location(`/api/v1/messages/${message.id}`).json(toSummary(store, message));
};

/**
 * A mailbox address as SMTP would accept it into an envelope: no spaces, angle brackets or control characters
 * (SPEC §10: CR, LF and NUL in envelope addresses are rejected; the others are as unprintable in the UI).
 */
const addressPattern = /^[^\s@<>\u0000-\u001f\u007f]+@[^\s@<>\u0000-\u001f\u007f]+$/;

/** `?from=` records an envelope sender (MAIL FROM); CR/LF/NUL, other control characters and spaces are refused as SMTP would. */
function envelopeFrom(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > 320 || /[\s<>\u0000-\u001f\u007f]/.test(value)) throw badRequest('from must be a plain address');
  return value;
}

/** Checked before delivering, so a bad folder doesn't leave a freshly created mailbox behind. */
function folderExists(h: HttpContext, address: string, folder: string): boolean {
  const mailbox = h.ctx.store.getMailbox(address);
  return mailbox ? mailbox.folders.has(folder) : defaultFolders.some((f) => f.name === folder);
}
