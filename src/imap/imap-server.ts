import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket, createSecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import { MessageCache } from './message-cache.js';
import type { ListenOptions, RunningServer, ServerContext } from '../shared/server-context.js';
import { Dispatcher } from './dispatcher.js';
import { ImapSession } from './session.js';

/**
 * Starts an IMAP listener: plain with STARTTLS, or implicit TLS (IMAPS) when `opts.secure`.
 * Each connection gets a session (state + output) and a dispatcher (input + commands).
 */
export function startImapServer(ctx: ServerContext, opts: ListenOptions): Promise<RunningServer> {
  const cache = new MessageCache();
  const secureContext = createSecureContext({ key: ctx.tls.key, cert: ctx.tls.cert });
  const live = new Set<ImapSession>();
  const onConnection = (socket: Socket | TLSSocket): void => {
    socket.setNoDelay(true);
    if (live.size >= ctx.config.limits.maxConnections) {
      socket.on('error', () => {});
      socket.end('* BYE Too many connections, try again later\r\n');
      return;
    }
    const session = new ImapSession(ctx, socket, {
      remoteAddress: socket.remoteAddress,
      localPort: socket.localPort,
      isTls: opts.secure,
      cache,
      upgradeTls: opts.secure ? undefined : (plain) => upgrade(plain, secureContext),
    });
    live.add(session);
    session.onClose(() => live.delete(session));
    new Dispatcher(session, ctx).start();
  };
  const server: Server = opts.secure ? createTlsServer({ key: ctx.tls.key, cert: ctx.tls.cert }, onConnection) : createNetServer(onConnection);
  // A failed TLS handshake is the client's problem, not the server's.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      server.on('error', (err) => ctx.logger.error('imap listener error', { error: err }));
      const port = (server.address() as { port: number }).port;
      resolve({ port, close: () => closeServer(server, live) });
    });
  });
}

function upgrade(plain: Duplex, secureContext: ReturnType<typeof createSecureContext>): Promise<Duplex> {
  const secure = new TLSSocket(plain as Socket, { isServer: true, secureContext });
  secure.on('error', () => secure.destroy());
  return Promise.resolve(secure);
}

async function closeServer(server: Server, live: Set<ImapSession>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([...live].map((s) => s.close('mailsandbox shutting down')));
  await closed;
}
