import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { ServerContext } from '../shared/server-context.js';
import { SandboxSmtpConnection } from './sandbox-connection.js';

/**
 * smtp-server with the sandbox's own connection class. Everything else (hooks, limits) comes in as options;
 * this class only swaps the connection and lets the hooks find the connection behind a session.
 */
export class SandboxSmtpServer extends SMTPServer {
  readonly #bySession = new WeakMap<object, SandboxSmtpConnection>();

  constructor(
    readonly ctx: ServerContext,
    options: SMTPServerOptions,
  ) {
    super(options);
  }

  /** Same as SMTPServer.connect() (3.21.6), with SandboxSmtpConnection in place of SMTPConnection. */
  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new SandboxSmtpConnection(this, socket, socketOptions);
    this.#bySession.set(connection.session, connection);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this.emit('error', err));
    connection.on('connect', (data: unknown) => this.emit('connect', data));
    connection.init();
  }

  /** The connection a hook's `session` belongs to (smtp-server reuses one session object per connection). */
  connectionOf(session: object): SandboxSmtpConnection | undefined {
    return this.#bySession.get(session);
  }
}
