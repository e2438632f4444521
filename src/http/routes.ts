import type { RequestHandler, Router } from 'express';
import { jsonBody } from './body-limit.js';
import { checkNames } from '../checks/message-checks.js';
import { methodNotAllowed } from './errors.js';
import type { HttpContext } from './http-context.js';
import { rawMessageBody, injectMessage } from './handlers/inject.js';
import { deleteMailbox, listMailboxes } from './handlers/mailboxes.js';
import * as faults from './handlers/faults.js';
import * as messages from './handlers/messages.js';
import { getAllChecks, getCheck } from './handlers/checks.js';
import { getSession, listSessions } from './handlers/sessions.js';
import { getInfo, healthz } from './handlers/system.js';
import { getCertificate } from './handlers/tls.js';
import { waitForMessages } from './handlers/wait.js';
import { listTags, putTags } from './handlers/tags.js';
import { sendJson } from './handlers/send.js';
import { getRelay, releaseMessage } from './handlers/release.js';
import { getMetrics, listWebhooks } from './handlers/observability.js';
import { mailpitRoutes } from './compat/mailpit.js';
import { mailhogRoutes } from './compat/mailhog.js';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
type Handlers = Partial<Record<Method, RequestHandler | RequestHandler[]>>;

/** Every route of SPEC §8 on one screen. The WebSocket `/api/v1/events` is handled on upgrade (live-feed.ts). */
export function registerRoutes(app: Router, h: HttpContext): void {
  const json = jsonBody(h.ctx.config.limits.httpJsonBody);
  const rfc822 = rawMessageBody(h.ctx.config.maxMessageSize);
  route(app, '/healthz', { get: healthz(h) });
  route(app, '/api/v1/info', { get: getInfo(h) });
  route(app, '/api/v1/messages', { get: messages.listMessages(h), post: [rfc822, injectMessage(h)], delete: messages.deleteMatching(h) });
  route(app, '/api/v1/messages/wait', { get: waitForMessages(h) });
  route(app, '/api/v1/messages/:id', { get: messages.getMessage(h), patch: [json, messages.patchMessage(h)], delete: messages.deleteMessage(h) });
  route(app, '/api/v1/messages/:id/raw', { get: messages.getRaw(h) });
  route(app, '/api/v1/messages/:id/html', { get: messages.getHtml(h) });
  route(app, '/api/v1/messages/:id/attachments/:n', { get: messages.getAttachment(h) });
  route(app, '/api/v1/messages/:id/transcript', { get: messages.getTranscript(h) });
  route(app, '/api/v1/messages/:id/structure', { get: messages.getStructure(h) });
  route(app, '/api/v1/messages/:id/checks', { get: getAllChecks(h) });
  for (const check of checkNames) route(app, `/api/v1/messages/:id/checks/${check}`, { get: getCheck(h, check) });
  route(app, '/api/v1/sessions', { get: listSessions(h) });
  route(app, '/api/v1/sessions/:id', { get: getSession(h) });
  route(app, '/api/v1/mailboxes', { get: listMailboxes(h) });
  route(app, '/api/v1/mailboxes/:address', { delete: deleteMailbox(h) });
  route(app, '/api/v1/tls/certificate', { get: getCertificate(h) });
  route(app, '/api/v1/mailboxes/:address/folders/:folder/uidvalidity', { post: faults.renewUidValidity(h) });
  route(app, '/api/v1/faults', { get: faults.listFaults(h), post: [json, faults.addFault(h)], delete: faults.clearFaults(h) });
  route(app, '/api/v1/faults/:id', { get: faults.getFault(h), delete: faults.deleteFault(h) });
  // SPEC §15: tags, send, release, webhooks, metrics. A send body carries base64 attachments, so its limit follows
  // the message size limit (base64 is 4/3 of the bytes), not the small JSON limit.
  const sendBody = jsonBody(Math.ceil(h.ctx.config.maxMessageSize * 1.4) + 64 * 1024);
  route(app, '/api/v1/messages/:id/tags', { put: [json, putTags(h)] });
  route(app, '/api/v1/tags', { get: listTags(h) });
  route(app, '/api/v1/send', { post: [sendBody, sendJson(h)] });
  route(app, '/api/v1/messages/:id/release', { post: [json, releaseMessage(h)] });
  route(app, '/api/v1/relay', { get: getRelay(h) });
  route(app, '/api/v1/webhooks', { get: listWebhooks(h) });
  route(app, '/metrics', { get: getMetrics(h) });
  // SPEC §16: Mailpit's and MailHog's APIs, adapters over the same store and search.
  app.use('/mailpit', mailpitRoutes(h));
  app.use('/mailhog', mailhogRoutes(h));
}

/** One path, its methods, and a 405 with `Allow` for every other method. */
function route(app: Router, path: string, handlers: Handlers): void {
  const r = app.route(path);
  const allowed: string[] = [];
  for (const [method, handler] of Object.entries(handlers) as Array<[Method, RequestHandler | RequestHandler[]]>) {
    r[method](...[handler].flat());
    allowed.push(method.toUpperCase(), ...(method === 'get' ? ['HEAD'] : []));
  }
  r.all(methodNotAllowed(allowed));
}
