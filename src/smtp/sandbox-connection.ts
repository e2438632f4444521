import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import type { ConnectionInfo } from '../store/types.js';
import { feedDataStream, type DataStreamParser } from './data-stream.js';
import type { SandboxSmtpServer } from './sandbox-server.js';
import { redactCommand, SmtpTranscript } from './transcript.js';
import { reportTlsHangup } from '../shared/tls-hangup-hint.js';

/**
 * Replies that answer a bad command (syntax, sequence, unknown command, missing or failed AUTH). They count towards
 * `limits.smtpBadCommands`; past it the session is closed with `421` (SPEC §10).
 */
const badCommandReplies = new Set([500, 501, 502, 503, 504, 530, 535]);

/** Lines stored with one message at most (the session log keeps up to limits.transcriptLines per session). */
const maxMessageTranscriptLines = 200;

/** SMTPStream's private continuation slot (3.21.6): a function once DATA ended, `true` if continue() came first. */
type ParserInternals = { _continueCallback: (() => void) | boolean };

/**
 * SMTPStream.continue() with its slot cleared BEFORE the continuation runs. The stock version clears it after, so
 * when the continuation runs a whole pipelined transaction synchronously (our MAIL/RCPT/DATA hooks answer at once,
 * unlike the library's setImmediate defaults), the next transaction's continuation is overwritten and the session
 * stalls at the third pipelined message.
 */
function resumeParser(parser: SMTPStream): void {
  const internals = parser as unknown as ParserInternals;
  const next = internals._continueCallback;
  if (typeof next === 'function') {
    internals._continueCallback = false;
    next();
  } else internals._continueCallback = true;
}

/**
 * One SMTP session. smtp-server (pinned to 3.21.6 in package.json, because this class overrides its internals)
 * owns the protocol; this subclass changes only what the sandbox needs to differ:
 * - no 100 ms "early talker" wait before the greeting (see `init`);
 * - the command line limit answered `500 5.5.2` with the session kept, and the bad-command limit configurable;
 * - every command and reply recorded in the session transcript, AUTH secrets redacted.
 */
export class SandboxSmtpConnection extends SMTPConnection {
  readonly transcript: SmtpTranscript;
  /** The connection facts stored with this session's last message, shared by the next one when unchanged. */
  lastConnectionInfo: ConnectionInfo | undefined;
  #badCommands = 0;
  /** STARTTLS was accepted and no command has come over TLS yet: a hang-up now means a refused certificate. */
  #isAwaitingTlsCommand = false;

  constructor(server: SandboxSmtpServer, socket: Socket | TLSSocket, options?: SMTPConnectionOptions | null) {
    super(server, socket, options);
    const { ctx } = server;
    const handle = ctx.sessions.start('smtp', { remoteAddress: this.remoteAddress, localPort: this.localPort, tls: this.secure });
    this.transcript = new SmtpTranscript(handle, Math.min(ctx.config.limits.transcriptLines, maxMessageTranscriptLines));
    this.transcript.note(`connection from ${this.remoteAddress}:${this.remotePort}${this.secure ? ' (implicit TLS)' : ''}`);
  }

  get #server(): SandboxSmtpServer {
    return this._server as SandboxSmtpServer;
  }

  /**
   * Stock `init()` waits a fixed 100 ms before the `220` greeting to catch clients that talk too soon. A test
   * sandbox has no spam to catch, and the wait caps a one-connection-per-message sender at ~10 messages/s.
   * With reverse DNS off and synchronous onConnect/onSecure hooks, the greeting goes out in this same tick.
   */
  override init(): void {
    this._setListeners(() => {
      const max = this._server.options.maxClients;
      if (max && this._server.connections.size > max) {
        // send(421) closes the connection; the enhanced code is written out because context=false omits it.
        this.send(421, '4.7.0 Too many connections, try again later', false);
        return;
      }
      this.connectionReady();
    });
  }

  override _createParser(): SMTPStream {
    const parser = super._createParser();
    // The parser errors only for a line longer than its hard cap (maxCommandLength): it can't resynchronise, so the
    // session ends, but with the `500 5.5.2` of SPEC §10 rather than the library's bare `421`.
    parser.removeAllListeners('error');
    parser.on('error', () => {
      this.send(500, 'Error: command line too long');
      this.close();
    });
    parser.continue = () => resumeParser(parser);
    (parser as unknown as DataStreamParser)._feedDataStream = feedDataStream;
    return parser;
  }

  override _onCommand(command: Buffer, callback?: () => void): void {
    const isContinuation = this._nextHandler !== false;
    if (!this._upgrading) this.transcript.client(redactCommand(command.toString('utf8'), isContinuation));
    if (this.secure) this.#isAwaitingTlsCommand = false;
    else if (!this._upgrading && !isContinuation && /^STARTTLS\s*$/i.test(command.toString('latin1'))) this.#isAwaitingTlsCommand = true;
    const limit = this.#server.ctx.config.limits.smtpLineLength;
    if (command.length > limit && !this._upgrading && this._ready) {
      // Answered and skipped, so the session goes on (RFC 5321 §4.5.3.1.4 asks for a 500 on an overlong line).
      this._nextHandler = false;
      this.send(500, `Error: command line too long (at most ${limit} bytes)`);
      this._whenWritable(callback ?? (() => undefined));
      return;
    }
    // smtp-server closes after 10 unrecognized commands, a fixed number; ours counts in send() against the limit.
    this._unrecognizedCommands = 0;
    super._onCommand(command, callback);
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    // The library's non-standard 538 for AUTH before STARTTLS (`--starttls required`) is RFC 3207's 530.
    if (code === 538) code = 530;
    // Mirrors the single write site's condition in smtp-server: nothing is written during a TLS handshake.
    const socket = this._socket;
    const writes = !this._upgrading && !socket.destroyed && socket.readyState === 'open';
    super.send(code, data, context);
    if (writes) {
      const lines = this.formatReply(code, data, context);
      if (context === 'DATA_OK') this.transcript.messageAccepted(lines[0]);
      else for (const line of lines) this.transcript.server(line);
    }
    if (badCommandReplies.has(code) && ++this.#badCommands > this.#server.ctx.config.limits.smtpBadCommands) {
      this.#badCommands = -Infinity; // once: the 421 below must not count again
      this.send(421, '4.7.0 Error: too many bad commands, closing connection', false);
    }
  }

  /** The reply lines exactly as smtp-server's send() writes them (enhanced status code included). */
  formatReply(code: number, data?: string | string[] | null, context?: string | false): string[] {
    const enhanced = this._getEnhancedStatusCode(code, context);
    const texts = Array.isArray(data) ? data : [data ?? ''];
    return texts.map((text, i) => {
      const sep = i < texts.length - 1 ? '-' : ' ';
      return `${code}${sep}${enhanced ? enhanced + ' ' : ''}${text}`.trimEnd();
    });
  }

  override _onError(err: Error & { code?: string; remoteAddress?: string }): void {
    // A failed STARTTLS handshake or a reset mid-transaction: the session log says why the session ended.
    this.transcript.note(`error: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '));
    super._onError(err);
  }

  override _onClose(): void {
    const wasClosed = this._closed;
    super._onClose();
    if (wasClosed) return;
    if (this.#isAwaitingTlsCommand) {
      const { ctx } = this.#server;
      reportTlsHangup('smtp', 'STARTTLS', (line) => this.transcript.note(line), ctx.logger, this.transcript.session.id);
    }
    this.transcript.note('connection closed');
    this.transcript.session.end();
  }
}
