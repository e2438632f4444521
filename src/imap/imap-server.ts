import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket, createSecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import { MessageCache } from './message-cache.js';
import type { ListenOptions, RunningServer, ServerContext } from '../shared/server-context.js';
import { Dispatcher } from './dispatcher.js';
import { ImapSession } from './session.js';
import { AddressSlots } from '../shared/address-slots.js';

/**
 * Starts an IMAP listener: plain with STARTTLS, or implicit TLS (IMAPS) when `opts.secure`.
 * Each connection gets a session (state + output) and a dispatcher (input + commands).
 */
export function startImapServer(ctx: ServerContext, opts: ListenOptions): Promise<RunningServer> {
  const cache = new MessageCache();
  const secureContext = createSecureContext({ key: ctx.tls.key, cert: ctx.tls.cert });
  const live = new Set<ImapSession>();
  const slots = new AddressSlots(ctx.config.limits.maxConnectionsPerAddress);
  const onConnection = (socket: Socket | TLSSocket): void => {
    socket.setNoDelay(true);
    // IMAPS: `sockets` (every TCP connection since accept, this one included) also holds stalled handshakes.
    const isFull = opts.secure ? sockets.size > ctx.config.limits.maxConnections : live.size >= ctx.config.limits.maxConnections;
    // `slots` counts TCP connections from accept on: IMAPS's already counts this one (its handshake came first),
    // plain IMAP's is counted just after this listener.
    const others = slots.count(socket.remoteAddress) - (opts.secure ? 1 : 0);
    const isAddressFull = others >= slots.perAddress;
    if (isFull || isAddressFull) {
      socket.on('error', () => {});
      socket.end(`* BYE Too many connections${isFull ? '' : ' from your address'}, try again later\r\n`);
      return;
    }
    const session = new ImapSession(ctx, socket, {
      remoteAddress: socket.remoteAddress,
      localPort: socket.localPort,
      isTls: opts.secure,
      cache,
      // STARTTLS only where `--starttls` offers it (SPEC §3).
      upgradeTls: opts.secure || opts.starttls === 'off' ? undefined : (plain) => upgrade(plain, secureContext),
      isTlsRequired: !opts.secure && opts.starttls === 'required',
    });
    live.add(session);
    session.onClose(() => live.delete(session));
    new Dispatcher(session, ctx).start();
  };
  const server: Server = opts.secure ? createTlsServer({ key: ctx.tls.key, cert: ctx.tls.cert }, onConnection) : createNetServer(onConnection);
  // A failed TLS handshake is the client's problem, not the server's.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  const sockets = trackSockets(server, opts.secure ? 2 * ctx.config.limits.maxConnections : Infinity, slots);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      server.on('error', (err) => ctx.logger.error('imap listener error', { error: err }));
      const port = (server.address() as { port: number }).port;
      resolve({ port, close: () => closeServer(server, live, sockets) });
    });
  });
}

/**
 * Every TCP connection from accept, so close() can end those that never became a session (a stalled TLS handshake
 * would otherwise keep server.close() waiting). IMAPS sessions begin only after the handshake, so the session count
 * alone would let any number of stalled handshakes in: connections past the limit still get their handshake and a
 * `* BYE`, but past `hardCap` (room for those refusals) a connection is dropped before the handshake.
 */
function trackSockets(server: Server, hardCap: number, slots: AddressSlots): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (raw: Socket) => {
    const address = raw.remoteAddress;
    // Per address the same room: its share, plus as many again to be told `* BYE`.
    if (sockets.size >= hardCap || !slots.tryTake(address, 2 * slots.perAddress)) {
      raw.destroy();
      return;
    }
    sockets.add(raw);
    raw.once('close', () => {
      sockets.delete(raw);
      slots.release(address);
    });
  });
  return sockets;
}

function upgrade(plain: Duplex, secureContext: ReturnType<typeof createSecureContext>): Promise<Duplex> {
  const secure = new TLSSocket(plain as Socket, { isServer: true, secureContext });
  secure.on('error', () => secure.destroy());
  return Promise.resolve(secure);
}

async function closeServer(server: Server, live: Set<ImapSession>, sockets: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([...live].map((s) => s.close('mailsandbox shutting down')));
  // Whatever is left never became a session (a handshake that never finished): nothing to say goodbye to.
  for (const socket of sockets) socket.destroy();
  await closed;
}
