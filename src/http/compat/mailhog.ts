import type { Request, RequestHandler, Router } from 'express';
import { Router as createRouter } from 'express';
import { findBodyStart } from '../../mime/header-summary.js';
import { parseMimeTree, type MimeNode } from '../../mime/mime-tree.js';
import { compileFilter, type MessageFilter } from '../../store/query.js';
import type { StoredMessage } from '../../store/types.js';
import { HttpError, badRequest } from '../errors.js';
import type { HttpContext } from '../http-context.js';
import { maxBufferedBytes } from '../live-feed.js';
import { stringParam } from '../params.js';
import { compatRoute, compatRouter, textErrors, textNotFound } from './compat-router.js';

/**
 * MailHog's API (SPEC §16) over our store: a client given `http://HOST:PORT/mailhog` as its MailHog URL works
 * unchanged. Messages come in MailHog's shape: `Content` (header map as written, body still transfer-encoded),
 * `MIME.Parts` (the same, per part, nested for nested multiparts), `Raw` (the SMTP envelope and the exact bytes).
 * Search kinds map onto our filter: `from` and `to` onto the from/to fields (header and envelope addresses),
 * `containing` onto a quoted phrase of the query language (subject, addresses and body text).
 */
export function mailhogRoutes(h: HttpContext): Router {
  const outer = createRouter();
  const r = compatRouter(h);
  compatRoute(r, '/api/v2/messages', { get: listV2(h) });
  compatRoute(r, '/api/v2/search', { get: searchV2(h) });
  compatRoute(r, '/api/v1/messages', { get: listV1(h), delete: deleteAll(h) });
  compatRoute(r, '/api/v1/messages/:id', { get: (req, res) => void res.json(mailhogMessage(messageFor(h, req))), delete: deleteOne(h) });
  compatRoute(r, '/api/v1/messages/:id/download', { get: download(h) });
  compatRoute(r, '/api/v1/events', { get: events(h) });
  outer.use(r);
  outer.use(textNotFound);
  outer.use(textErrors);
  return outer;
}

interface MailhogPath {
  Relays: string[] | null;
  Mailbox: string;
  Domain: string;
  Params: string;
}

interface MailhogContent {
  Headers: Record<string, string[]>;
  Body: string;
  Size: number;
  MIME: { Parts: MailhogContent[] } | null;
}

function pathOf(address: string): MailhogPath {
  const at = address.lastIndexOf('@');
  return { Relays: null, Mailbox: at < 0 ? address : address.slice(0, at), Domain: at < 0 ? '' : address.slice(at + 1), Params: '' };
}

/** Header fields with their names as written (MailHog's clients look up `Content-Type` exactly), values unfolded. */
function headersAsWritten(block: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of block.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (Object.hasOwn(out, name)) out[name].push(line.slice(colon + 1).trim());
    else out[name] = [line.slice(colon + 1).trim()];
  }
  return out;
}

function contentOf(raw: Buffer, node: MimeNode, headerStart: number, bodyStart: number): MailhogContent {
  return {
    Headers: headersAsWritten(raw.subarray(headerStart, bodyStart).toString('utf8')),
    Body: raw.subarray(bodyStart, node.end).toString('utf8'),
    Size: node.end - headerStart,
    MIME: mimeOf(raw, node),
  };
}

function mimeOf(raw: Buffer, node: MimeNode): MailhogContent['MIME'] {
  return node.children.length ? { Parts: node.children.map((c) => contentOf(raw, c, c.headerStart, c.bodyStart)) } : null;
}

export function mailhogMessage(m: StoredMessage) {
  const tree = parseMimeTree(m.raw);
  const content = contentOf(m.raw, tree, 0, findBodyStart(m.raw));
  return {
    ID: m.id,
    From: pathOf(m.envelope.mailFrom),
    To: m.envelope.rcptTo.map(pathOf),
    Content: { ...content, MIME: null },
    Created: m.receivedAt.toISOString(),
    MIME: content.MIME,
    Raw: { From: m.envelope.mailFrom, To: [...m.envelope.rcptTo], Data: m.raw.toString('utf8'), Helo: m.connection.heloName ?? '' },
  };
}

function messageFor(h: HttpContext, req: Request): StoredMessage {
  const m = h.ctx.store.get(String(req.params.id));
  if (!m) throw new HttpError(404, 'not_found', 'Message not found');
  return m;
}

function pageOf(req: Request): { start: number; limit: number } {
  const num = (name: string, fallback: number, max: number) => {
    const v = stringParam(req, name);
    if (v === undefined || v === '') return fallback;
    if (!/^\d{1,10}$/.test(v)) throw badRequest(`${name} must be a whole number`);
    return Math.min(Number(v), max);
  };
  return { start: num('start', 0, 1e9), limit: num('limit', 50, 1000) };
}

/** `{ total, count, start, items }`, newest first, like MailHog's v2 answers. */
function page(h: HttpContext, req: Request, filter: MessageFilter) {
  const { start, limit } = pageOf(req);
  const { store } = h.ctx;
  const match = compileFilter(filter, { lowerBodyText: h.ctx.lowerBodyText });
  const items: StoredMessage[] = [];
  let total = 0;
  for (const m of store.newestFirst()) {
    if (!match(m, store)) continue;
    if (total >= start && items.length < limit) items.push(m);
    total++;
  }
  return { total, count: items.length, start, items: items.map(mailhogMessage) };
}

const listV2 = (h: HttpContext): RequestHandler => (req, res) => void res.json(page(h, req, {}));

const searchV2 = (h: HttpContext): RequestHandler => (req, res) => {
  const kind = stringParam(req, 'kind');
  const query = stringParam(req, 'query') ?? '';
  if (kind !== 'from' && kind !== 'to' && kind !== 'containing') throw badRequest('kind must be from, to or containing');
  if (!query) throw badRequest('query is required');
  const filter: MessageFilter = kind === 'from' ? { from: query } : kind === 'to' ? { to: query } : { query: `"${query.replace(/"/g, '')}"` };
  res.json(page(h, req, filter));
};

/** v1's list is a bare array; the newest 1000 at most (v2 pages through the rest). */
const listV1 = (h: HttpContext): RequestHandler => (_req, res) => {
  const out = [];
  for (const m of h.ctx.store.newestFirst()) {
    if (out.length >= 1000) break;
    out.push(mailhogMessage(m));
  }
  res.json(out);
};

/** MailHog answers its deletes 200 with an empty body; its client resolves with the response then. */
const deleteAll = (h: HttpContext): RequestHandler => async (_req, res) => {
  await h.ctx.store.clear();
  res.status(200).end();
};

const deleteOne = (h: HttpContext): RequestHandler => async (req, res) => {
  await h.ctx.store.deleteMessage(messageFor(h, req).id);
  res.status(200).end();
};

const download = (h: HttpContext): RequestHandler => (req, res) => {
  const m = messageFor(h, req);
  res.setHeader('Content-Type', 'message/rfc822');
  res.setHeader('Content-Disposition', `attachment; filename="${m.id}.eml"`);
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
  res.setHeader('Content-Length', String(m.size));
  res.end(m.raw);
};

/** Keep-alive period of the event stream (MailHog sends `keepalive` events too). */
const keepaliveMs = 30_000;

/** SSE `GET /api/v1/events`: `event: data` with each new message in MailHog's shape; ends when the server closes. */
const events = (h: HttpContext): RequestHandler => (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  res.write(': mailsandbox MailHog events\n\n');
  const write = (event: string, data: string) => {
    // A client that stops reading is cut off before it can grow the server's memory.
    if (res.writableLength > maxBufferedBytes) return void res.destroy();
    res.write(`event: ${event}\ndata: ${data}\n\n`);
  };
  const off = h.ctx.store.on('message.added', (m) => write('data', JSON.stringify(mailhogMessage(m))));
  const timer = setInterval(() => write('keepalive', ''), keepaliveMs);
  timer.unref();
  const stop = () => {
    off();
    clearInterval(timer);
    h.closing.removeEventListener('abort', end);
  };
  const end = () => res.end();
  h.closing.addEventListener('abort', end);
  req.on('close', stop);
};
