import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { toSummary } from '../store/message-view.js';
import type { ServerContext } from '../shared/server-context.js';
import type { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import { toSessionSummary } from './handlers/sessions.js';
import { checkUpgrade, hostPolicyOf } from './security.js';

export const eventsPath = '/api/v1/events';
/** A client this far behind (bytes queued) is cut off: a stalled tab must not grow the server's memory. */
export const maxBufferedBytes = 4 * 1024 * 1024;

/** Ping period; a client that hasn't answered the previous ping by the next one is dropped. */
export const heartbeatMs = 30_000;

export interface LiveFeed {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly clients: number;
  /** Unsubscribes from the store and terminates every client. */
  close(): void;
}

/**
 * WebSocket `GET /api/v1/events`: just another store subscriber. Frames are `{ type, data }` JSON:
 * - `hello` `{ version, messages, lastSeq }` first, so a reconnecting UI knows to refetch the list;
 * - `message.added` / `message.updated` (summary), `message.deleted` `{ id }`, `store.cleared` `{}`,
 *   `mailbox.added` / `mailbox.removed` `{ address }`;
 * - `session.started` / `session.updated` / `session.ended` (session summary), `session.line` `{ sessionId, line }`;
 * - `fault.hit` `{ ruleId, protocol, on, sessionId }` (on the node that fired), `fault.counted` `{ id, hits, spent }`
 *   (on every node, once the hit is in the store), `fault.added` (rule), `fault.removed` `{ id }`, `fault.cleared` `{}`;
 * - `webhook.delivery` (a delivery as `GET /api/v1/webhooks` lists it) each time one is queued, retried or finished.
 * Client frames are ignored.
 */
export function createLiveFeed(ctx: ServerContext, version: string, webhooks?: WebhookDispatcher): LiveFeed {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  const broadcast: Broadcast = (type, data) => {
    if (wss.clients.size === 0) return;
    const frame = JSON.stringify({ type, data: data() });
    for (const ws of wss.clients) send(ws, frame);
  };
  const unsubscribe = subscribe(ctx, broadcast);
  // Retries happen on the dispatcher's clock, not on a store event: the Webhooks page hears each step here.
  if (webhooks) unsubscribe.push(webhooks.on('delivery', (d) => broadcast('webhook.delivery', () => d)));
  const stopHeartbeat = startHeartbeat(wss);
  const { store } = ctx;
  const hostPolicy = hostPolicyOf(ctx.config);
  wss.on('connection', (ws) => {
    ws.on('error', () => ws.terminate());
    send(ws, JSON.stringify({ type: 'hello', data: { version, messages: store.size, lastSeq: store.lastSeq } }));
  });
  return {
    handleUpgrade(req, socket, head) {
      const refusal = new URL(req.url ?? '/', 'http://x').pathname === eventsPath ? checkUpgrade(req, ctx.config, hostPolicy) : ([404, 'Not found'] as [number, string]);
      if (refusal) return refuse(socket, refusal[0], refusal[1]);
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    get clients() {
      return wss.clients.size;
    },
    close() {
      stopHeartbeat();
      for (const off of unsubscribe) off();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

type Broadcast = (type: string, data: () => unknown) => void;

/** The feed's store and session-log subscriptions; data is built only when someone is listening. */
function subscribe({ store, sessions }: ServerContext, broadcast: Broadcast): Array<() => void> {
  return [
    store.on('message.added', (m) => broadcast('message.added', () => toSummary(store, m))),
    store.on('message.updated', (m) => broadcast('message.updated', () => toSummary(store, m))),
    store.on('message.deleted', (m) => broadcast('message.deleted', () => ({ id: m.id }))),
    store.on('store.cleared', () => broadcast('store.cleared', () => ({}))),
    store.on('mailbox.added', (mb) => broadcast('mailbox.added', () => ({ address: mb.address }))),
    store.on('mailbox.removed', (mb) => broadcast('mailbox.removed', () => ({ address: mb.address }))),
    sessions.on('session.started', (s) => broadcast('session.started', () => toSessionSummary(s))),
    sessions.on('session.updated', (s) => broadcast('session.updated', () => toSessionSummary(s))),
    sessions.on('session.ended', (s) => broadcast('session.ended', () => toSessionSummary(s))),
    sessions.on('session.line', (s, line) => broadcast('session.line', () => ({ sessionId: s.id, line }))),
    // Fault injection (SPEC §13): `fault.hit` is the contract; the others keep the UI's Faults page current.
    store.faults.on('fault.hit', (hit) => broadcast('fault.hit', () => hit)),
    store.faults.on('fault.added', (rule) => broadcast('fault.added', () => rule)),
    store.faults.on('fault.removed', (rule) => broadcast('fault.removed', () => ({ id: rule.id }))),
    store.faults.on('fault.cleared', () => broadcast('fault.cleared', () => ({}))),
    // A hit counted by the store: this node's, or another node's replayed from the shared log (PostgreSQL).
    store.faults.on('fault.counted', (rule) => broadcast('fault.counted', () => ({ id: rule.id, hits: rule.hits, spent: rule.spent }))),
  ];
}

/** Pings every client; one that hasn't answered the previous ping (laptop lid, dropped network) is dropped. */
function startHeartbeat(wss: WebSocketServer): () => void {
  const silent = new WeakSet<WebSocket>();
  wss.on('connection', (ws) => ws.on('pong', () => silent.delete(ws)));
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (silent.has(ws)) ws.terminate();
      else {
        silent.add(ws);
        ws.ping();
      }
    }
  }, heartbeatMs);
  timer.unref();
  return () => clearInterval(timer);
}

function send(ws: WebSocket, frame: string): void {
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > maxBufferedBytes) {
    ws.terminate();
    return;
  }
  ws.send(frame);
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const text = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Forbidden';
  const auth = status === 401 ? 'WWW-Authenticate: Basic realm="mailsandbox"\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${auth}Content-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}
