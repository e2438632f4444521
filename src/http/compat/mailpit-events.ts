import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { ServerContext } from '../../shared/server-context.js';
import type { StoredMessage } from '../../store/types.js';
import { maxBufferedBytes } from '../live-feed.js';
import { checkUpgrade, hostPolicyOf } from '../security.js';
import { mailpitSummary } from './mailpit-shapes.js';

/** Stats frames are coalesced over this window (Mailpit sends them at most four times a second too). */
const statsDelayMs = 250;

/** `/mailpit/api/events`, or `/mailpit/mailbox/ADDRESS/api/events` for one mailbox's events. */
const eventsPath = /^\/mailpit(?:\/mailbox\/([^/]+))?\/api\/events$/;

export interface MailpitEvents {
  /** Takes the upgrade when the path is Mailpit's events path (answering or refusing it); false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

/**
 * Mailpit's WebSocket: `{ Type, Data }` frames — `new` (MessageSummary), `update` (`{ ID, Read, Tags }`), `delete`
 * (`{ ID }`), `truncate` (null) and `stats` (`{ Total, Unread, Version }`) shortly after changes. Another store
 * subscriber, like live-feed.ts, with the same upgrade checks (Host, auth, cross-site) and the same cut-off for a
 * client that stops reading. Client frames are ignored.
 */
export function createMailpitEvents(ctx: ServerContext, version: string): MailpitEvents {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  const scopes = new WeakMap<WebSocket, string | undefined>();
  const { store } = ctx;
  const inScope = (ws: WebSocket, m: StoredMessage | null) => {
    const scope = scopes.get(ws);
    return !scope || !m || store.mailboxesOf(m).includes(scope);
  };
  const broadcast = (m: StoredMessage | null, type: string, data: () => unknown) => {
    if (wss.clients.size === 0) return;
    let frame: string | undefined;
    for (const ws of wss.clients) {
      if (!inScope(ws, m)) continue;
      frame ??= JSON.stringify({ Type: type, Data: data() });
      send(ws, frame);
    }
    scheduleStats();
  };
  // Counting walks the store, so like Mailpit the counts go out at most every statsDelayMs, after the last change.
  let statsTimer: NodeJS.Timeout | null = null;
  const scheduleStats = () => {
    statsTimer ??= setTimeout(() => {
      statsTimer = null;
      const frames = new Map<string | undefined, string>();
      for (const ws of wss.clients) {
        const scope = scopes.get(ws);
        if (!frames.has(scope)) frames.set(scope, statsFrame(ws));
        send(ws, frames.get(scope)!);
      }
    }, statsDelayMs);
    statsTimer.unref();
  };
  const statsFrame = (ws: WebSocket) => {
    let total = 0;
    let unread = 0;
    for (const m of store.newestFirst()) {
      if (!inScope(ws, m)) continue;
      total++;
      if (!store.isSeen(m)) unread++;
    }
    return JSON.stringify({ Type: 'stats', Data: { Total: total, Unread: unread, Version: version } });
  };
  const offs = [
    store.on('message.added', (m) => broadcast(m, 'new', () => mailpitSummary(store, m))),
    store.on('message.updated', (m) => broadcast(m, 'update', () => ({ ID: m.id, Read: store.isSeen(m), Tags: [...m.tags] }))),
    // A deleted message has no mailboxes left to scope by: every client hears of it (an unknown ID is a no-op).
    store.on('message.deleted', (m) => broadcast(null, 'delete', () => ({ ID: m.id }))),
    store.on('store.cleared', () => broadcast(null, 'truncate', () => null)),
  ];
  const hostPolicy = hostPolicyOf(ctx.config);
  wss.on('connection', (ws) => ws.on('error', () => ws.terminate()));
  return {
    handleUpgrade(req, socket, head) {
      const match = eventsPath.exec(new URL(req.url ?? '/', 'http://x').pathname);
      if (!match) return false;
      const refusal = checkUpgrade(req, ctx.config, hostPolicy);
      if (refusal) {
        socket.end(`HTTP/1.1 ${refusal[0]} Refused\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(refusal[1])}\r\n\r\n${refusal[1]}`);
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        scopes.set(ws, match[1] ? decodeURIComponent(match[1]).toLowerCase() : undefined);
        wss.emit('connection', ws, req);
      });
      return true;
    },
    close() {
      if (statsTimer) clearTimeout(statsTimer);
      for (const off of offs) off();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

function send(ws: WebSocket, frame: string): void {
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > maxBufferedBytes) return void ws.terminate();
  ws.send(frame);
}
