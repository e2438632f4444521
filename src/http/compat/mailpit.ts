import type { Request, RequestHandler, Router } from 'express';
import { Router as createRouter } from 'express';
import { CheckNotConfiguredError, type CheckName, type CheckResults } from '../../checks/message-checks.js';
import { SendValidationError } from '../../mime/compose-message.js';
import { parseMimeTree } from '../../mime/mime-tree.js';
import { RelayError } from '../../relay/relay.js';
import { sendMessage } from '../../shared/send-message.js';
import { compileFilter } from '../../store/query.js';
import { StoreError, type StoredMessage } from '../../store/types.js';
import { limitedBody } from '../body-limit.js';
import { HttpError, badRequest } from '../errors.js';
import { attachmentDisposition, safeContentType } from '../handlers/messages.js';
import type { HttpContext } from '../http-context.js';
import { stringParam } from '../params.js';
import { htmlCsp } from '../security.js';
import { compatRoute, compatRouter, textErrors, textNotFound } from './compat-router.js';
import { readChaos, writeChaos } from './mailpit-chaos.js';
import { mailpitHtmlCheck, mailpitLinkCheck, mailpitSpamCheck } from './mailpit-checks.js';
import { MailpitSearchError, toOurQuery } from './mailpit-search.js';
import { fileName, headerMap, mailpitMessage, mailpitSummary, partById, partContent } from './mailpit-shapes.js';

/**
 * Mailpit's API v1 (SPEC §16) over our store: a Mailpit client given `http://HOST:PORT/mailpit` as its URL works
 * unchanged. Every mailbox is one merged Mailpit mailbox; `/mailpit/mailbox/ADDRESS` as the base URL scopes
 * everything (lists, latest, deletes, counts) to the messages delivered to ADDRESS.
 * The `/mailpit/api/events` WebSocket is mailpit-events.ts (WebSockets are upgrades, not routes).
 */
export function mailpitRoutes(h: HttpContext): Router {
  const outer = createRouter();
  const api = scopedRoutes(h);
  outer.use('/mailbox/:mailbox', api);
  outer.use(api);
  outer.use(textNotFound);
  outer.use(textErrors);
  return outer;
}

function scopedRoutes(h: HttpContext): Router {
  const r = compatRouter(h);
  const body = limitedBody(Math.ceil(h.ctx.config.maxMessageSize * 1.4) + 64 * 1024, parseJsonLeniently);
  compatRoute(r, '/api/v1/info', { get: info(h) });
  compatRoute(r, '/api/v1/webui', { get: webui(h) });
  compatRoute(r, '/api/v1/messages', { get: list(h, false), put: [body, setRead(h)], delete: [body, deleteSome(h)] });
  compatRoute(r, '/api/v1/search', { get: list(h, true), delete: deleteSearch(h) });
  compatRoute(r, '/api/v1/message/:id', { get: getMessage(h) });
  compatRoute(r, '/api/v1/message/:id/headers', { get: (req, res) => void res.json(headerMap(messageFor(h, req))) });
  compatRoute(r, '/api/v1/message/:id/raw', { get: raw(h) });
  compatRoute(r, '/api/v1/message/:id/part/:part', { get: part(h) });
  compatRoute(r, '/api/v1/message/:id/release', { post: [body, release(h)] });
  compatRoute(r, '/api/v1/message/:id/html-check', { get: check(h, 'html', mailpitHtmlCheck) });
  compatRoute(r, '/api/v1/message/:id/link-check', { get: check(h, 'links', mailpitLinkCheck) });
  compatRoute(r, '/api/v1/message/:id/sa-check', { get: spamCheck(h) });
  compatRoute(r, '/api/v1/send', { post: [body, send(h)] });
  compatRoute(r, '/api/v1/tags', { get: (req, res) => void res.json(tagsIn(h, req)), put: [body, setTags(h)] });
  compatRoute(r, '/api/v1/tags/:tag', { put: [body, renameTag(h)], delete: deleteTag(h) });
  compatRoute(r, '/api/v1/chaos', { get: (_req, res) => void res.json(readChaos(h.ctx.store.faults)), put: [body, putChaos(h)] });
  compatRoute(r, '/view/:file', { get: view(h) });
  return r;
}

/** Mailpit decodes the body as JSON whatever its Content-Type (clients and curl users often send none). */
function parseJsonLeniently(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('The body is not valid JSON');
  }
}

const ok = (res: { type(t: string): { send(b: string): void } }) => res.type('text/plain').send('ok');

/** The mailbox a `/mailpit/mailbox/ADDRESS` base URL scopes to, or undefined for all mail. */
function scopeOf(req: Request): string | undefined {
  const mailbox = (req.params as { mailbox?: string }).mailbox;
  return mailbox ? mailbox.toLowerCase() : undefined;
}

/** Messages in scope matching a Mailpit search (none: all), newest first. */
function* matching(h: HttpContext, req: Request, search?: string): Generator<StoredMessage> {
  const { store } = h.ctx;
  let query: string;
  try {
    query = search ? toOurQuery(search) : '';
  } catch (err) {
    if (err instanceof MailpitSearchError) throw badRequest(err.message);
    throw err;
  }
  const mailbox = scopeOf(req);
  const match = compileFilter({ ...(query ? { query } : {}), ...(mailbox ? { mailbox } : {}) }, { lowerBodyText: h.ctx.lowerBodyText });
  for (const m of store.newestFirst()) if (match(m, store)) yield m;
}

function messageFor(h: HttpContext, req: Request): StoredMessage {
  const id = String(req.params.id);
  const mailbox = scopeOf(req);
  const m = id === 'latest' ? matching(h, req).next().value : h.ctx.store.get(id);
  if (!m || (mailbox && !h.ctx.store.mailboxesOf(m).includes(mailbox))) throw new HttpError(404, 'not_found', 'Message not found');
  return m;
}

/** Mailpit takes `limit` up to any size; one page here is at most 1000, like our own API. */
function pageParam(req: Request, name: string, fallback: number, max: number): number {
  const v = stringParam(req, name);
  if (v === undefined || v === '') return fallback;
  if (!/^\d{1,10}$/.test(v)) throw badRequest(`${name} must be a whole number`);
  return Math.min(Number(v), max);
}

function tagsIn(h: HttpContext, req: Request): string[] {
  const tags = new Map<string, string>();
  for (const m of matching(h, req)) for (const t of m.tags) if (!tags.has(t.toLowerCase())) tags.set(t.toLowerCase(), t);
  return [...tags.values()].sort((a, b) => a.localeCompare(b));
}

/** `GET /messages` and `GET /search`: `MessagesSummary`; `total`/`unread` count the whole mailbox, `messages_*` the matches. */
const list = (h: HttpContext, isSearch: boolean): RequestHandler => (req, res) => {
  const search = isSearch ? stringParam(req, 'query') : undefined;
  if (isSearch && !search?.trim()) throw badRequest('Error: no search query');
  const start = pageParam(req, 'start', 0, 1e9);
  const limit = pageParam(req, 'limit', 50, 1000);
  const { store } = h.ctx;
  const all = { count: 0, unread: 0 };
  for (const m of matching(h, req)) {
    all.count++;
    if (!store.isSeen(m)) all.unread++;
  }
  const found = { count: 0, unread: 0 };
  const page: StoredMessage[] = [];
  for (const m of isSearch ? matching(h, req, search) : matching(h, req)) {
    if (found.count >= start && page.length < limit) page.push(m);
    found.count++;
    if (!store.isSeen(m)) found.unread++;
  }
  res.json({
    total: all.count,
    unread: all.unread,
    messages_count: found.count,
    messages_unread: found.unread,
    start,
    tags: tagsIn(h, req),
    messages: page.map((m) => mailpitSummary(store, m)),
  });
};

/** Like Mailpit, reading a message marks it read. */
const getMessage = (h: HttpContext): RequestHandler => async (req, res) => {
  const m = messageFor(h, req);
  await h.ctx.store.setSeen(m.id, true);
  res.json(mailpitMessage(m));
};

const raw = (h: HttpContext): RequestHandler => (req, res) => {
  const m = messageFor(h, req);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
  res.end(m.raw);
};

const part = (h: HttpContext): RequestHandler => (req, res) => {
  const m = messageFor(h, req);
  const node = partById(parseMimeTree(m.raw), String(req.params.part));
  if (!node) throw new HttpError(404, 'not_found', 'Part not found');
  const content = partContent(m.raw, node);
  res.setHeader('Content-Type', safeContentType(`${node.type}/${node.subtype}`));
  res.setHeader('Content-Disposition', attachmentDisposition(`${m.id}-${node.path}`, fileName(node) || null));
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
  res.setHeader('Content-Length', String(content.length));
  res.end(content);
};

/** `/view/ID.html` and `/view/ID.txt`: the bodies, the HTML under the same sandboxing CSP as our own `/html`. */
const view = (h: HttpContext): RequestHandler => (req, res) => {
  const match = /^(.+)\.(html|txt)$/.exec(String(req.params.file));
  if (!match) throw new HttpError(404, 'not_found', 'Not found');
  req.params.id = match[1];
  const message = mailpitMessage(messageFor(h, req));
  if (match[2] === 'txt') return void res.type('text/plain; charset=utf-8').send(message.Text);
  res.setHeader('Content-Security-Policy', htmlCsp(false));
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.type('text/html; charset=utf-8').send(message.HTML);
};

function idList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw badRequest(`${field} must be an array of message IDs`);
  return value as string[];
}

function bodyObject(req: Request): Record<string, unknown> {
  const b = req.body as unknown;
  if (b === undefined) return {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw badRequest('The body must be a JSON object');
  return b as Record<string, unknown>;
}

/** `PUT /messages` `{ IDs?, Read, Search? }`: the IDs, or the search's matches, or every message. */
const setRead = (h: HttpContext): RequestHandler => async (req, res) => {
  const b = bodyObject(req);
  const ids = idList(b.IDs, 'IDs');
  const search = b.Search === undefined ? '' : String(b.Search);
  if (ids?.length && search) throw badRequest('You may specify either IDs or a search query, not both');
  if (b.Read !== undefined && typeof b.Read !== 'boolean') throw badRequest('Read must be true or false');
  const targets = ids?.length ? ids.map((id) => messageFor(h, withId(req, id))) : [...matching(h, req, search || undefined)];
  for (const m of targets) await h.ctx.store.setSeen(m.id, b.Read === true);
  ok(res);
};

function withId(req: Request, id: string): Request {
  return { params: { ...req.params, id } } as unknown as Request;
}

/** `DELETE /messages` `{ IDs? }`: those messages, or every message (in scope) when none are named. */
const deleteSome = (h: HttpContext): RequestHandler => async (req, res) => {
  const ids = idList(bodyObject(req).IDs, 'IDs');
  const { store } = h.ctx;
  if (ids?.length) {
    for (const m of ids.map((id) => messageFor(h, withId(req, id)))) await store.deleteMessage(m.id);
  } else if (!scopeOf(req)) await store.clear();
  else for (const m of [...matching(h, req)]) await store.deleteMessage(m.id);
  ok(res);
};

const deleteSearch = (h: HttpContext): RequestHandler => async (req, res) => {
  const search = stringParam(req, 'query');
  if (!search?.trim()) throw badRequest('Error: no search query');
  for (const m of [...matching(h, req, search)]) await h.ctx.store.deleteMessage(m.id);
  ok(res);
};

const setTags = (h: HttpContext): RequestHandler => async (req, res) => {
  const b = bodyObject(req);
  const ids = idList(b.IDs, 'IDs') ?? [];
  if (!Array.isArray(b.Tags) || b.Tags.some((t) => typeof t !== 'string')) throw badRequest('Tags must be an array of tag names');
  for (const m of ids.map((id) => messageFor(h, withId(req, id)))) await h.ctx.store.setTags(m.id, b.Tags as string[]);
  ok(res);
};

const renameTag = (h: HttpContext): RequestHandler => async (req, res) => {
  const from = String(req.params.tag).toLowerCase();
  const name = bodyObject(req).Name;
  if (typeof name !== 'string' || !name.trim()) throw badRequest('Name must be the new tag name');
  for (const m of [...matching(h, req)]) {
    if (m.tags.some((t) => t.toLowerCase() === from)) await h.ctx.store.setTags(m.id, m.tags.map((t) => (t.toLowerCase() === from ? name : t)));
  }
  ok(res);
};

const deleteTag = (h: HttpContext): RequestHandler => async (req, res) => {
  const tag = String(req.params.tag).toLowerCase();
  for (const m of [...matching(h, req)]) {
    if (m.tags.some((t) => t.toLowerCase() === tag)) await h.ctx.store.setTags(m.id, m.tags.filter((t) => t.toLowerCase() !== tag));
  }
  ok(res);
};

const putChaos = (h: HttpContext): RequestHandler => async (req, res) => {
  res.json(await writeChaos(h.ctx.store.faults, req.body));
};

const check = <K extends CheckName>(h: HttpContext, name: K, shape: (r: CheckResults[K]) => unknown): RequestHandler => async (req, res) => {
  const m = messageFor(h, req);
  try {
    res.json(shape(await h.ctx.checks.run(name, m)));
  } catch (err) {
    if (err instanceof CheckNotConfiguredError) throw badRequest(err.message);
    throw new HttpError(502, 'check_failed', `The ${name} check failed: ${(err as Error).message}`);
  }
};

/** Like Mailpit: 400 when SpamAssassin is not set up; a spamd that fails answers 200 with `Error` set. */
const spamCheck = (h: HttpContext): RequestHandler => async (req, res) => {
  const m = messageFor(h, req);
  const flag = h.ctx.checks.flagNeeded('spam');
  if (flag) throw badRequest(`SpamAssassin is not enabled: start the sandbox with ${flag}`);
  res.json(mailpitSpamCheck(await h.ctx.checks.run('spam', m).catch((err: Error) => ({ error: err.message }))));
};

/** `POST /send`: Mailpit's fields onto our send path (SPEC §15); 200 `{ ID }`, 400 `{ Error }` like Mailpit. */
const send = (h: HttpContext): RequestHandler => async (req, res) => {
  try {
    const message = await sendMessage(h.ctx, toSendInput(bodyObject(req)), { tls: false, remoteAddress: req.socket.remoteAddress });
    res.json({ ID: message.id });
  } catch (err) {
    const problem = err instanceof SendValidationError || err instanceof HttpError ? err.message : err instanceof StoreError && err.code === 'TOOBIG' ? err.message : null;
    if (problem === null) throw err;
    res.status(400).json({ Error: problem });
  }
};

function toSendInput(b: Record<string, unknown>): Record<string, unknown> {
  const person = (v: unknown, field: string) => {
    if (!v || typeof v !== 'object' || typeof (v as { Email?: unknown }).Email !== 'string') throw badRequest(`${field}: an object with Email is required`);
    const { Email, Name } = v as { Email: string; Name?: unknown };
    return typeof Name === 'string' && Name ? { name: Name, address: Email } : { address: Email };
  };
  const people = (v: unknown, field: string) => (v === undefined ? undefined : Array.isArray(v) ? v.map((x, i) => person(x, `${field}[${i}]`)) : [person(v, field)]);
  const input: Record<string, unknown> = {
    from: person(b.From, 'From'),
    to: people(b.To, 'To'),
    cc: people(b.Cc, 'Cc'),
    bcc: b.Bcc,
    replyTo: people(b.ReplyTo, 'ReplyTo'),
    subject: b.Subject,
    text: b.Text,
    html: b.HTML,
    headers: b.Headers,
    tags: b.Tags,
    attachments: Array.isArray(b.Attachments)
      ? b.Attachments.map((a: Record<string, unknown>) => ({ filename: a?.Filename, content: a?.Content, contentType: a?.ContentType || undefined, contentId: a?.ContentID || undefined }))
      : b.Attachments,
  };
  const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  if (Array.isArray(input.attachments)) input.attachments = input.attachments.map((a) => strip(a as Record<string, unknown>));
  return strip(input);
}

const release = (h: HttpContext): RequestHandler => async (req, res) => {
  const m = messageFor(h, req);
  const relay = h.relay?.();
  if (!relay) throw badRequest('Message relay is not configured: start the sandbox with --relay and --relay-allow');
  const to = idList(bodyObject(req).To, 'To');
  if (!to?.length) throw badRequest('To: at least one recipient is required');
  try {
    await relay.release(m.id, to);
  } catch (err) {
    if (err instanceof RelayError) throw badRequest(err.message);
    throw err;
  }
  ok(res);
};

/** `AppInformation`: our counts under Mailpit's names (in scope when a mailbox is picked). */
const info = (h: HttpContext): RequestHandler => (req, res) => {
  const { store } = h.ctx;
  const sandbox = h.info();
  const stats = store.stats();
  let messages = 0;
  let unread = 0;
  const tags: Record<string, number> = {};
  for (const m of matching(h, req)) {
    messages++;
    if (!store.isSeen(m)) unread++;
    for (const t of m.tags) tags[t] = (tags[t] ?? 0) + 1;
  }
  res.json({
    Version: sandbox.version,
    LatestVersion: '',
    Database: '',
    DatabaseSize: stats.bytes,
    Messages: messages,
    Unread: unread,
    Tags: tags,
    RuntimeStats: {
      Memory: process.memoryUsage().rss,
      Uptime: Math.floor((Date.now() - Date.parse(sandbox.startedAt)) / 1000),
      MessagesDeleted: stats.evicted,
      SMTPAccepted: stats.received,
      SMTPAcceptedSize: stats.bytes,
      SMTPRejected: 0,
      SMTPIgnored: 0,
    },
  });
};

/** `WebUIConfiguration`: chaos is always on here; relay and SpamAssassin as configured. */
const webui = (h: HttpContext): RequestHandler => (_req, res) => {
  const relay = h.relay?.();
  res.json({
    Label: 'mailsandbox',
    MessageRelay: {
      Enabled: !!relay,
      SMTPServer: relay?.display ?? '',
      ReturnPath: relay?.settings.returnPath ?? '',
      AllowedRecipients: relay ? relay.settings.allow.join(', ') : '',
      BlockedRecipients: '',
      OverrideFrom: '',
      PreserveMessageIDs: false,
    },
    SpamAssassin: !h.ctx.checks.flagNeeded('spam'),
    ChaosEnabled: true,
    DuplicatesIgnored: false,
    HideDeleteAllButton: false,
  });
};

