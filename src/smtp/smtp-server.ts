import { hostname } from 'node:os';
import type { SMTPServerOptions } from 'smtp-server';
import type { ListenOptions, RunningServer, ServerContext } from '../shared/server-context.js';
import { SandboxSmtpServer } from './sandbox-server.js';
import { createSmtpHooks } from './smtp-hooks.js';
import type { SmtpExtensionProfile } from '../shared/smtp-extensions.js';

/** How long close() lets a transaction in flight finish before the library sends `421` and hangs up. */
const closeGraceMs = 3_000;

/**
 * Starts SMTP (plain + STARTTLS) or, with `secure`, SMTPS (implicit TLS) on smtp-server (SPEC §5).
 * @example const smtp = await startSmtpServer(ctx, { host: '127.0.0.1', port: 0, secure: false });
 */
export function startSmtpServer(ctx: ServerContext, opts: ListenOptions): Promise<RunningServer> {
  let server: SandboxSmtpServer | undefined = undefined;
  const hooks = createSmtpHooks(ctx, (session) => server?.connectionOf(session), opts.starttls === 'required');
  server = new SandboxSmtpServer(ctx, { ...smtpOptions(ctx, opts), ...hooks });
  const running = server;
  // Connection-level errors (a client vanishing mid-transaction, a failed TLS handshake) are reported here;
  // without a listener they would crash the process.
  running.on('error', (err: ServerError) => {
    ctx.logger.debug('smtp: connection error', { code: err.code, message: err.message });
    recordFailedHandshake(ctx, err);
  });
  return new Promise((resolve, reject) => {
    running.server.once('error', reject);
    running.server.listen(opts.port, opts.host, () => {
      running.server.off('error', reject);
      const port = (running.server.address() as { port: number }).port;
      resolve({ port, close: () => closeServer(running) });
    });
  });
}

/** What smtp-server attaches to an error; `meta.stage === 'connect'` is a failure before any SMTP session. */
type ServerError = Error & { code?: string; report?: boolean; meta?: { stage?: string; remoteAddress?: string } };

/**
 * An implicit-TLS handshake that fails never becomes a connection, so it is recorded here as a short session:
 * a client with the wrong TLS settings shows up in the session log. A bare connect-and-close (a port probe,
 * a health check) is reported with `report: false` and not recorded.
 */
function recordFailedHandshake(ctx: ServerContext, err: ServerError): void {
  if (err.meta?.stage !== 'connect' || err.report === false) return;
  const session = ctx.sessions.start('smtp', { remoteAddress: err.meta.remoteAddress, tls: false });
  session.line('*', `TLS handshake failed: ${err.message}`);
  session.end();
}

/** smtp-server options from the sandbox config. */
function smtpOptions(ctx: ServerContext, opts: ListenOptions): SMTPServerOptions {
  const { config } = ctx;
  const { secure } = opts;
  const disabledCommands = config.smtpAuth === 'off' ? ['AUTH'] : [];
  // Not offered means not there: an unadvertised STARTTLS gets the unknown-command answer (SPEC §3).
  if (!secure && opts.starttls === 'off') disabledCommands.push('STARTTLS');
  const extension = extensionOptions(config.smtpExtensions, config.smtpAuth === 'off');
  const { limits } = config;
  return {
    secure,
    key: ctx.tls.key,
    cert: ctx.tls.cert,
    name: hostname() || 'localhost',
    banner: 'mailsandbox',
    logger: false,
    disableReverseLookup: true,
    // SIZE is advertised and checked in MAIL FROM; rejectOversized makes the library answer 552 5.3.4 on the
    // bytes that really arrived (onData also refuses to store them).
    size: config.maxMessageSize,
    rejectOversized: true,
    hideENHANCEDSTATUSCODES: false,
    authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    authOptional: config.smtpAuth !== 'required',
    // --smtp-extensions (SPEC §13); smtp-server only hides, extension-guard.ts refuses what is used anyway.
    ...extension,
    disabledCommands: [...new Set([...disabledCommands, ...(extension.disabledCommands ?? [])])],
    // Development clients often AUTH on the plain port; the sandbox's passwords are test passwords. With
    // `--starttls required` the library refuses AUTH before TLS (answered 530 by SandboxSmtpConnection).
    allowInsecureAuth: opts.starttls !== 'required',
    // Bad commands are counted by SandboxSmtpConnection against limits.smtpBadCommands instead.
    maxAllowedUnauthenticatedCommands: false,
    maxClients: limits.maxConnections,
    maxRecipients: limits.maxRecipients,
    socketTimeout: limits.smtpIdleMs,
    closeTimeout: closeGraceMs,
    // The parser's hard cap, far above the soft limit that is answered 500 with the session kept (see
    // SandboxSmtpConnection); a line past the cap ends the session, so memory per connection stays bounded.
    maxCommandLength: Math.max(4 * limits.smtpLineLength, 16 * 1024),
  };
}

/** smtp-server's hide* options and disabled commands for an extension profile. */
function extensionOptions(ext: SmtpExtensionProfile, isAuthOff: boolean): Partial<SMTPServerOptions> {
  const disabled = [...(isAuthOff || !ext.AUTH ? ['AUTH'] : []), ...(ext.STARTTLS ? [] : ['STARTTLS'])];
  return {
    hidePIPELINING: !ext.PIPELINING,
    hide8BITMIME: !ext['8BITMIME'],
    hideSMTPUTF8: !ext.SMTPUTF8,
    hideENHANCEDSTATUSCODES: !ext.ENHANCEDSTATUSCODES,
    hideSTARTTLS: !ext.STARTTLS,
    hideDSN: !ext.DSN,
    hideREQUIRETLS: !ext.REQUIRETLS,
    hideSize: !ext.SIZE,
    disabledCommands: disabled,
  };
}

/** Stops accepting, hangs up idle sessions now, and gives transactions in flight `closeGraceMs` to finish. */
function closeServer(server: SandboxSmtpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const connection of server.connections) {
      const isIdle = !connection.session.envelope?.mailFrom && !connection._dataStream;
      if (isIdle) {
        connection.send(421, 'Server shutting down');
        connection.close();
      }
    }
  });
}
