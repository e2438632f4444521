import MailComposer from 'nodemailer/lib/mail-composer';
import addressparser from 'nodemailer/lib/addressparser';
import { toCrlf } from './crlf.js';

/** An address as a string (`ann@x`, `Ann <ann@x>`) or an object. */
export type SendAddress = string | { name?: string; address: string };

/** The body of `POST /api/v1/send` and the argument of `sandbox.send()` (SPEC §15). */
export interface SendInput {
  from: SendAddress;
  to?: SendAddress | SendAddress[];
  cc?: SendAddress | SendAddress[];
  /** Envelope recipients only: they get the message but no header names them. */
  bcc?: SendAddress | SendAddress[];
  replyTo?: SendAddress | SendAddress[];
  subject?: string;
  text?: string;
  html?: string;
  /** Extra header fields, e.g. `{ "X-Tags": "signup, qa" }`. */
  headers?: Record<string, string>;
  attachments?: Array<{ filename: string; contentType?: string; content: string; contentId?: string }>;
  /** Tags for the stored message, added to those from `X-Tags` and plus-addressing. */
  tags?: string[];
}

/** A bad send request: `field` names what is wrong (`to[1]`, `attachments[0].content`). */
export class SendValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SendValidationError';
  }
}

interface Mailbox {
  name: string;
  address: string;
}

export interface ComposedMessage {
  raw: Buffer;
  envelope: { mailFrom: string; rcptTo: string[] };
  tags: string[];
}

const maxRecipients = 1000;
const attachmentFields = new Set(['filename', 'contentType', 'content', 'contentId']);
const allowedFields = new Set(['from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'text', 'html', 'headers', 'attachments', 'tags']);
/** An envelope address as SMTP would take it: no spaces, brackets or control characters. */
const addressPattern = /^[^\s@<>\u0000-\u001f\u007f]+@[^\s@<>\u0000-\u001f\u007f]+$/;
/** Headers the composer writes itself from the fields; setting them through `headers` would contradict those. */
const reservedHeaders = new Set(['from', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'content-type', 'content-transfer-encoding', 'mime-version']);

/**
 * Checks a send request and builds the MIME message with nodemailer's MailComposer: multipart/alternative when both
 * text and HTML are given, multipart/mixed around it with attachments. Never reads files or URLs (content comes only
 * as base64 in the request). Throws SendValidationError naming the first bad field.
 */
export async function composeMessage(body: unknown): Promise<ComposedMessage> {
  const input = checkShape(body);
  const from = mailboxes(input.from, 'from', false)[0];
  if (!from) throw new SendValidationError('from', 'is required');
  const to = mailboxes(input.to, 'to');
  const cc = mailboxes(input.cc, 'cc');
  const bcc = mailboxes(input.bcc, 'bcc');
  const replyTo = mailboxes(input.replyTo, 'replyTo');
  const rcptTo = [...new Set([...to, ...cc, ...bcc].map((m) => m.address))];
  if (rcptTo.length === 0) throw new SendValidationError('to', 'at least one recipient (to, cc or bcc) is required');
  if (rcptTo.length > maxRecipients) throw new SendValidationError('to', `at most ${maxRecipients} recipients`);
  for (const f of ['subject', 'text', 'html'] as const) if (input[f] !== undefined && typeof input[f] !== 'string') throw new SendValidationError(f, 'must be a string');
  const composer = new MailComposer({
    from,
    to,
    cc,
    replyTo,
    subject: input.subject ?? '',
    text: input.text,
    html: input.html,
    headers: headers(input.headers),
    attachments: attachments(input.attachments),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const raw = toCrlf(await composer.compile().build());
  return { raw, envelope: { mailFrom: from.address, rcptTo }, tags: tagList(input.tags) };
}

function checkShape(body: unknown): SendInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SendValidationError('body', 'must be a JSON object like {"from": ..., "to": ..., "subject": ...}');
  for (const key of Object.keys(body)) if (!allowedFields.has(key)) throw new SendValidationError(key, `is not a field of a send request (known: ${[...allowedFields].join(', ')})`);
  return body as SendInput;
}

/** One address or a list, each a string (possibly `Name <addr>`) or `{ name, address }`. */
function mailboxes(value: unknown, field: string, isList = true): Mailbox[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  if (!isList && items.length !== 1) throw new SendValidationError(field, 'must be one address');
  return items.map((item, i) => mailbox(item, isList && Array.isArray(value) ? `${field}[${i}]` : field));
}

function mailbox(item: unknown, field: string): Mailbox {
  let parsed: Mailbox | undefined;
  if (typeof item === 'string') {
    const list = addressparser(item, { flatten: true });
    if (list.length === 1) parsed = { name: list[0].name ?? '', address: list[0].address ?? '' };
  } else if (typeof item === 'object' && item !== null && typeof (item as Mailbox).address === 'string') {
    const o = item as { name?: unknown; address: string };
    if (o.name !== undefined && typeof o.name !== 'string') throw new SendValidationError(`${field}.name`, 'must be a string');
    parsed = { name: (o.name as string | undefined) ?? '', address: o.address.trim() };
  }
  if (!parsed || !addressPattern.test(parsed.address) || parsed.address.length > 320 || /[\r\n\u0000]/.test(parsed.name)) {
    throw new SendValidationError(field, `must be an email address like "ann@example.test" or "Ann <ann@example.test>", got ${JSON.stringify(item)?.slice(0, 100)}`);
  }
  return parsed;
}

function headers(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SendValidationError('headers', 'must be an object of header names to string values');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    const field = `headers.${name}`;
    if (!/^[!-9;-~]{1,76}$/.test(name)) throw new SendValidationError(field, 'is not a valid header name');
    if (reservedHeaders.has(name.toLowerCase())) throw new SendValidationError(field, 'is set from the request fields; use them instead');
    // CR or LF in a value would let a request write headers (or a body) of its own choosing.
    if (typeof v !== 'string' || /[\r\n\u0000]/.test(v)) throw new SendValidationError(field, 'must be a string without line breaks');
    out[name] = v;
  }
  return out;
}

function attachments(value: unknown): Array<{ filename: string; contentType?: string; content: Buffer; cid?: string }> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new SendValidationError('attachments', 'must be a list of { filename, contentType, content (base64) }');
  return value.map((a: unknown, i) => {
    const field = `attachments[${i}]`;
    if (typeof a !== 'object' || a === null) throw new SendValidationError(field, 'must be an object { filename, contentType, content }');
    // Only these: nodemailer would read `path` or `href` from the disk or the network, which a request must never do.
    for (const key of Object.keys(a)) if (!attachmentFields.has(key)) throw new SendValidationError(`${field}.${key}`, 'is not an attachment field (filename, contentType, content, contentId)');
    const { filename, contentType, content, contentId } = a as Record<string, unknown>;
    if (typeof filename !== 'string' || filename.trim() === '' || /[\r\n\u0000]/.test(filename)) throw new SendValidationError(`${field}.filename`, 'must be a non-empty string');
    if (contentType !== undefined && (typeof contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(contentType))) throw new SendValidationError(`${field}.contentType`, 'must be a media type like application/pdf');
    if (typeof content !== 'string' || !isBase64(content)) throw new SendValidationError(`${field}.content`, 'must be base64');
    if (contentId !== undefined && (typeof contentId !== 'string' || /[\s<>]/.test(contentId))) throw new SendValidationError(`${field}.contentId`, 'must be a string without spaces or angle brackets');
    return { filename, ...(contentType ? { contentType } : {}), content: Buffer.from(content, 'base64'), ...(contentId ? { cid: contentId } : {}) };
  });
}

function isBase64(s: string): boolean {
  const compact = s.replace(/\s+/g, '');
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}

function tagList(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string')) throw new SendValidationError('tags', 'must be a list of strings');
  return value as string[];
}
