import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { SecureContext } from 'node:tls';
import type { ListenOptions, RunningServer, ServerContext } from '../shared/server-context.js';
import { Pop3Session } from './pop3-session.js';
import { AddressSlots } from '../shared/address-slots.js';

/** How long close() lets sessions finish the command in progress before cutting them off. */
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * Starts a POP3 listener: plain with STLS (`secure: false`) or implicit TLS, POP3S (`secure: true`).
 * Both listeners of a sandbox share the store, so the maildrop lock (`mailbox.pop3LockedBy`) holds across them.
 * @example const pop3 = await startPop3Server(ctx, { host: '127.0.0.1', port: 0, secure: false });
 */
export async function startPop3Server(ctx: ServerContext, opts: ListenOptions): Promise<RunningServer> {
  const listener = new Pop3Listener(ctx, opts);
  const port = await listener.listen(opts.host, opts.port);
  return { port, close: () => listener.close() };
}

/** One listening socket and the sessions it accepted. */
class Pop3Listener {
  readonly #secureContext: SecureContext;
  readonly #sessions = new Set<Pop3Session>();
  /** Raw sockets, from accept to close: sessions and TLS handshakes still in progress. */
  readonly #sockets = new Set<Socket>();
  readonly #slots: AddressSlots;
  readonly #server: Server;
  #closing: Promise<void> | null = null;

  readonly isImplicitTls: boolean;

  constructor(
    readonly ctx: ServerContext,
    readonly opts: ListenOptions,
  ) {
    this.isImplicitTls = opts.secure;
    this.#secureContext = createSecureContext({ key: ctx.tls.key, cert: ctx.tls.cert });
    this.#slots = new AddressSlots(ctx.config.limits.maxConnectionsPerAddress);
    // Half-open: a client may send its last commands and shut down its side; it still gets every answer.
    this.#server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
  }

  listen(host: string, port: number): Promise<number> {
    const server = this.#server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.ctx.logger.error('pop3 listener error', { err }));
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  #accept(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    // Counted from the TCP accept, so sockets stuck before their TLS handshake use up slots too.
    if (this.#sockets.size >= this.ctx.config.limits.maxConnections) return this.#refuse(socket);
    const address = socket.remoteAddress;
    if (!this.#slots.tryTake(address)) return this.#refuse(socket, 'Too many connections from your address');
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#slots.release(address);
    });
    socket.setNoDelay(true);
    if (!this.isImplicitTls) return this.#startSession(socket, socket);
    const secure = this.#wrapTls(socket);
    // A client that never completes the handshake is an idle client.
    secure.setTimeout(this.ctx.config.limits.preLoginIdleMs, () => secure.destroy());
    // The listener is half-open (allowHalfOpen), so a client that closes before finishing the handshake (a TCP
    // health probe, a port scanner) would otherwise hold its connection slot until the idle timeout.
    const closedEarly = () => secure.destroy();
    secure.once('end', closedEarly);
    secure.once('secure', () => {
      secure.off('end', closedEarly);
      secure.setTimeout(0);
      this.#startSession(secure, socket);
    });
  }

  #startSession(stream: Socket, raw: Socket): void {
    const session = new Pop3Session(this.ctx, stream, {
      isTls: this.isImplicitTls,
      // STLS only where `--starttls` offers it (SPEC §3).
      secureContext: this.isImplicitTls || this.opts.starttls === 'off' ? undefined : this.#secureContext,
      isTlsRequired: !this.isImplicitTls && this.opts.starttls === 'required',
      remoteAddress: raw.remoteAddress,
      localPort: raw.localPort,
    });
    this.#sessions.add(session);
    void session.closed.then(() => this.#sessions.delete(session));
  }

  /** Over the connection limit: one `-ERR` (over TLS on POP3S, so the client can read it) and goodbye. */
  #refuse(socket: Socket, reason = 'Too many connections'): void {
    const answer = `-ERR [SYS/TEMP] ${reason}, try again later\r\n`;
    if (!this.isImplicitTls) {
      socket.end(answer);
      return;
    }
    const secure = this.#wrapTls(socket);
    secure.setTimeout(5_000, () => secure.destroy());
    secure.once('secure', () => secure.end(answer));
  }

  #wrapTls(socket: Socket): TLSSocket {
    const secure = new TLSSocket(socket, { isServer: true, secureContext: this.#secureContext });
    secure.on('error', () => secure.destroy());
    return secure;
  }

  async #closeAll(): Promise<void> {
    const listening = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sessions) s.shutdown();
    const grace = setTimeout(() => {
      for (const s of this.#sessions) s.destroy();
      for (const socket of this.#sockets) socket.destroy();
    }, SHUTDOWN_GRACE_MS);
    await Promise.all([...this.#sessions].map((s) => s.closed));
    clearTimeout(grace);
    // What is left are sockets still in their TLS handshake: no session to say goodbye.
    for (const socket of this.#sockets) socket.destroy();
    await listening;
  }
}
