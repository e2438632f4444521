import { createServer } from 'node:http';
import type { ListenOptions, RunningServer, SandboxInfo, ServerContext } from '../shared/server-context.js';
import { createApp } from './app.js';
import type { HttpContext } from './http-context.js';
import { createLiveFeed } from './live-feed.js';

export interface HttpDeps {
  info(): SandboxInfo;
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
  };
  const server = createServer(createApp(h));
  // SPEC §10 bounds connections per listener; each blocked long-poll holds one too, and those are capped separately
  // (429 past maxWaiters), so they get room of their own rather than locking the UI out.
  server.maxConnections = ctx.config.limits.maxConnections + ctx.config.limits.maxWaiters;
  const feed = createLiveFeed(ctx, deps.info().version);
  server.on('upgrade', (req, socket, head) => feed.handleUpgrade(req, socket, head));
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      feed.close();
      reject(err);
    });
    server.listen(opts.port, opts.host, () => {
      const port = (server.address() as { port: number }).port;
      let closed: Promise<void> | null = null;
      const close = () =>
        (closed ??= new Promise<void>((done) => {
          closing.abort();
          feed.close();
          server.close(() => done());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), closeGraceMs).unref();
        }));
      resolve({ port, close });
    });
  });
}
