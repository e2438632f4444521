import { createServer } from 'node:http';
import type { ListenOptions, RunningServer, SandboxInfo, ServerContext } from '../shared/server-context.js';
import type { SandboxMetrics } from '../metrics/sandbox-metrics.js';
import type { Relay } from '../relay/relay.js';
import type { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import { createApp } from './app.js';
import type { HttpContext } from './http-context.js';
import { connectionShareOf, guardConnections } from './connection-guard.js';
import { createLiveFeed } from './live-feed.js';
import { createMailpitEvents } from './compat/mailpit-events.js';

export interface HttpDeps {
  info(): SandboxInfo;
  relay?(): Relay | undefined;
  webhooks?(): WebhookDispatcher;
  metrics?(): SandboxMetrics;
}

/** After close(), in-flight requests get this long to finish before their connections are cut. */
const closeGraceMs = 1000;

/** The UI, REST API and WebSocket feed on one `http.Server`. */
export function startHttpServer(ctx: ServerContext, opts: ListenOptions, deps: HttpDeps): Promise<RunningServer> {
  const closing = new AbortController();
  const h: HttpContext = {
    ctx,
    info: () => deps.info(),
    closing: closing.signal,
    relay: () => deps.relay?.(),
    webhooks: deps.webhooks,
    metrics: deps.metrics,
  };
  const { limits } = ctx.config;
  const server = createServer(
    {
      // SPEC §10: a client that dribbles its headers or body can't hold a connection forever. The check runs every
      // second (Node's default of 30 s would let an idle socket live 40 s past a 10 s timeout).
      headersTimeout: limits.httpHeadersTimeoutMs,
      requestTimeout: limits.httpRequestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.httpHeadersTimeoutMs),
    },
    createApp(h),
  );
  // SPEC §10 bounds connections per listener; each blocked long-poll holds one too, and those are capped separately
  // (429 past maxWaiters), so they get room of their own rather than locking the UI out.
  guardConnections(server, connectionShareOf(limits.maxConnections + limits.maxWaiters));
  const feed = createLiveFeed(ctx, deps.info().version, deps.webhooks?.());
  // SPEC §16: Mailpit's WebSocket path is its own feed; every other upgrade goes to ours.
  const mailpitEvents = createMailpitEvents(ctx, deps.info().version);
  server.on('upgrade', (req, socket, head) => mailpitEvents.handleUpgrade(req, socket, head) || feed.handleUpgrade(req, socket, head));
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      feed.close();
      mailpitEvents.close();
      reject(err);
    });
    server.listen(opts.port, opts.host, () => {
      const port = (server.address() as { port: number }).port;
      let closed: Promise<void> | null = null;
      const close = () =>
        (closed ??= new Promise<void>((done) => {
          closing.abort();
          feed.close();
          mailpitEvents.close();
          server.close(() => done());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), closeGraceMs).unref();
        }));
      resolve({ port, close });
    });
  });
}
