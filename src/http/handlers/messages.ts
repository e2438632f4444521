import type { Request, RequestHandler, Response } from 'express';
import { toMessageDetails, toSummary } from '../../store/message-view.js';
import { highlightElement } from '../../checks/html-highlight.js';
import { parseMimeTree } from '../../mime/mime-tree.js';
import { describeStructure } from '../../mime/structure-info.js';
import { compileFilter, matchesAll } from '../../store/query.js';
import { scanWithBodyTexts } from '../../shared/body-text-scan.js';
import { offloadBytes } from '../../shared/parse-pool.js';
import { decodeTranscript } from '../../store/transcript.js';
import type { StoredMessage } from '../../store/types.js';
import { HttpError, badRequest, notFound } from '../errors.js';
import type { HttpContext } from '../http-context.js';
import { filterParams, intParam, stringParam } from '../params.js';
import { htmlCsp } from '../security.js';

export const defaultLimit = 50;
export const maxLimit = 1000;

function messageOf(h: HttpContext, req: Request): StoredMessage {
  const m = h.ctx.store.get(String(req.params.id));
  if (!m) throw notFound(`Message ${JSON.stringify(String(req.params.id).slice(0, 40))}`);
  return m;
}

/** `GET /api/v1/messages`: newest first, `{ total, messages }`; total counts every match, not just the page. */
export const listMessages = (h: HttpContext): RequestHandler => async (req, res) => {
  const filter = filterParams(req);
  const limit = intParam(req, 'limit', 0, maxLimit, defaultLimit);
  const offset = intParam(req, 'offset', 0, 1e9, 0);
  const { store } = h.ctx;
  if (matchesAll(filter)) {
    // No filter: the total is the store's size, and the walk stops at the end of the page (100,000 stored messages
    // would otherwise all be visited for the count).
    const messages = [];
    let i = 0;
    for (const m of store.newestFirst()) {
      if (i++ < offset) continue;
      if (messages.length >= limit) break;
      messages.push(toSummary(store, m));
    }
    res.json({ total: store.size, messages });
    return;
  }
  const page = await scanWithBodyTexts(h.ctx, (lowerBodyText) => {
    const match = compileFilter(filter, { lowerBodyText });
    const messages = [];
    let total = 0;
    for (const m of store.newestFirst()) {
      if (!match(m, store)) continue;
      if (total >= offset && messages.length < limit) messages.push(toSummary(store, m));
      total++;
    }
    return { total, messages };
  });
  res.json(page);
};

export const getMessage = (h: HttpContext): RequestHandler => async (req, res) => {
  res.json(await toMessageDetails(h.ctx.store, h.ctx.details, messageOf(h, req)));
};

/** The exact accepted bytes, as a download: a browser must never render a message as a page of this origin. */
export const getRaw = (h: HttpContext): RequestHandler => (req, res) => {
  const m = messageOf(h, req);
  res.setHeader('Content-Type', 'message/rfc822');
  res.setHeader('Content-Disposition', `attachment; filename="${m.id}.eml"`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Should a browser ever render it (a message/rfc822 viewer, an ignored disposition), no script of the mail runs.
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
  res.setHeader('Content-Length', String(m.size));
  res.end(m.raw);
};

/** The HTML body for the UI's `<iframe sandbox>`; the CSP repeats the sandbox in case it's opened directly. */
export const getHtml = (h: HttpContext): RequestHandler => async (req, res) => {
  const m = messageOf(h, req);
  const details = await h.ctx.details.get(m.id, m.raw, m.summary.subject);
  if (details.html === null) throw new HttpError(404, 'no_html', 'This message has no HTML body');
  // `?highlight=N`: a check finding's element (its `element.index`) outlined, for the UI's "Show in preview".
  const highlight = stringParam(req, 'highlight');
  let html = details.html;
  if (highlight !== undefined) {
    if (!/^\d{1,6}$/.test(highlight)) throw badRequest('highlight must be an element index (a whole number)');
    html = highlightElement(details.html, Number(highlight)) ?? html;
  }
  res.setHeader('Content-Security-Policy', htmlCsp(stringParam(req, 'remote') === '1'));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.send(html);
};

export const getAttachment = (h: HttpContext): RequestHandler => async (req, res) => {
  const m = messageOf(h, req);
  const n = String(req.params.n);
  if (!/^\d{1,6}$/.test(n)) throw badRequest('Attachment index must be a whole number');
  const details = await h.ctx.details.get(m.id, m.raw, m.summary.subject);
  const meta = details.attachments[Number(n)];
  const content = details.attachmentContent(Number(n));
  if (!meta || !content) throw notFound(`Attachment ${n}`);
  res.setHeader('Content-Type', safeContentType(meta.contentType));
  res.setHeader('Content-Disposition', attachmentDisposition(`${m.id}-${n}`, meta.filename, meta.contentType));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
  res.setHeader('Content-Length', String(content.length));
  res.end(content);
};

/** A media type as declared, if it is a plain `type/subtype`; anything odd becomes octet-stream. */
export function safeContentType(declared: string): string {
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i.test(declared) ? declared.toLowerCase() : 'application/octet-stream';
}

/**
 * `attachment` with a generated ASCII name (`<id>-<n>.<ext>`) and the message's name, sanitised, as `filename*`.
 * The name never carries a path, control or bidi characters, or quotes, whatever the message says.
 */
export function attachmentDisposition(base: string, filename: string | null, contentType = ''): string {
  const clean = (filename ?? '')
    .split(/[/\\]/)
    .pop()
    // Bidi controls too: `invoice<RLO>fdp.exe` would be saved as a name that reads `invoiceexe.pdf`.
    ?.replace(/[\u0000-\u001f\u007f"*:<>?|\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 150)
    // A lone surrogate (from a bad encoded word, or the cut above) would make encodeURIComponent throw.
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '') ?? '';
  // An unnamed part (an inline image without a file name) still gets an extension, from its type, so it opens.
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(clean)?.[1] ?? extensionOf(contentType);
  const ascii = ext ? `${base}.${ext.toLowerCase()}` : base;
  return clean ? `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(clean)}` : `attachment; filename="${ascii}"`;
}

/** File extensions of the types mail commonly carries unnamed (inline images, calendar invites, ...). */
const extensions: Record<string, string> = {
  'image/png': 'png', 'image/jpeg': 'jpg', 'image/jpg': 'jpg', 'image/pjpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp',
  'image/svg+xml': 'svg', 'image/bmp': 'bmp', 'image/avif': 'avif', 'image/heic': 'heic', 'image/tiff': 'tif', 'image/x-icon': 'ico',
  'application/pdf': 'pdf', 'application/zip': 'zip', 'application/json': 'json', 'application/ics': 'ics', 'text/calendar': 'ics',
  'text/plain': 'txt', 'text/html': 'html', 'text/csv': 'csv', 'message/rfc822': 'eml', 'audio/mpeg': 'mp3', 'video/mp4': 'mp4',
};

function extensionOf(contentType: string): string | undefined {
  return extensions[contentType.toLowerCase().split(';')[0].trim()];
}

function encodeRfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `GET /api/v1/messages/:id/structure`: the MIME tree for the UI (part paths, types, sizes, file names). */
export const getStructure = (h: HttpContext): RequestHandler => async (req, res) => {
  const { raw } = messageOf(h, req);
  // A large message's tree (5,000 parts take ~100 ms) is parsed in the pool (SPEC §10 event-loop budget).
  res.json(raw.length < offloadBytes ? describeStructure(parseMimeTree(raw)) : await h.ctx.parsePool.run('structure', raw));
};

export const getTranscript = (h: HttpContext): RequestHandler => (req, res) => {
  const m = messageOf(h, req);
  res.json({ id: m.id, sessionId: m.connection.sessionId ?? null, lines: decodeTranscript(m.transcript) });
};

/** `PATCH {seen}` sets or clears `\Seen` on every placement (SPEC §4). */
export const patchMessage = (h: HttpContext): RequestHandler => async (req, res) => {
  const m = messageOf(h, req);
  requireJson(req);
  const body = req.body as unknown;
  if (typeof body !== 'object' || body === null || typeof (body as { seen?: unknown }).seen !== 'boolean') {
    throw badRequest('Body must be JSON like {"seen": true}');
  }
  await h.ctx.store.exclusive(() => h.ctx.store.setSeen(m.id, (body as { seen: boolean }).seen));
  await h.ctx.store.durable();
  res.json(toSummary(h.ctx.store, m));
};

export function requireJson(req: Request): void {
  if (!req.is('application/json')) throw new HttpError(415, 'unsupported_media_type', 'Send the body as Content-Type: application/json');
}

export const deleteMessage = (h: HttpContext): RequestHandler => async (req, res) => {
  const m = messageOf(h, req);
  await h.ctx.store.exclusive(() => h.ctx.store.deleteMessage(m.id));
  await h.ctx.store.durable();
  res.status(204).end();
};

/** `DELETE /api/v1/messages?query=&mailbox=`: the matching messages, or everything when no filter is given. */
export const deleteMatching = (h: HttpContext): RequestHandler => async (req, res: Response) => {
  const filter = filterParams(req);
  const { store } = h.ctx;
  if (!filter.query && !filter.mailbox) {
    const deleted = await store.exclusive(() => {
      const n = store.size;
      store.clear();
      return n;
    });
    await store.durable();
    res.json({ deleted });
    return;
  }
  const ids = await scanWithBodyTexts(h.ctx, (lowerBodyText) => {
    const match = compileFilter(filter, { lowerBodyText });
    return [...store.newestFirst()].filter((m) => match(m, store)).map((m) => m.id);
  });
  // A shared store decides under its lock; a message another node deleted meanwhile is skipped.
  await store.exclusive(() => {
    for (const id of ids) store.deleteMessage(id);
  });
  await store.durable();
  res.json({ deleted: ids.length });
};
