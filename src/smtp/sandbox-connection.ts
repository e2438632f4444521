import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import type { ConnectionInfo } from '../store/types.js';
import { CommandLineReader, type CommandLineParser } from './command-line-reader.js';
import { feedDataStream, type DataStreamParser } from './data-stream.js';
import type { SandboxSmtpServer } from './sandbox-server.js';
import { redactCommand, SmtpTranscript } from './transcript.js';
import { reportTlsHangup } from '../shared/tls-hangup-hint.js';
import { writePartialAndDrop, type Throttle } from '../shared/fault-output.js';
import { commandStages, runSmtpFault, smtpFault } from './smtp-faults.js';
import { smtpRejectionReason } from './rejection-reason.js';
import { formatSmtpReply } from './reply-format.js';
import { HeldReplies, heldReplyCodes } from './held-replies.js';

/**
 * Replies that answer a bad command (syntax, sequence, unknown command, missing or failed AUTH). They count towards
 * `limits.smtpBadCommands`; past it the session is closed with `421` (SPEC §10).
 */
const badCommandReplies = new Set([500, 501, 502, 503, 504, 530, 535]);

/** Lines stored with one message at most (the session log keeps up to limits.transcriptLines per session). */
const maxMessageTranscriptLines = 200;

/** A CR or LF that is not the line's CRLF, or a NUL: never legal in a command line (RFC 5321 §2.3.8, SPEC §10). */
const forbiddenInLine = /[\r\n\0]/;
const forbiddenNames: Record<string, string> = { '\r': 'bare CR', '\n': 'bare LF', '\0': 'NUL' };
/** A reply text that already carries an enhanced status code (a fault's `451 4.7.1 ...`): the library must not add one. */
const enhancedCodePrefix = /^[245]\.\d{1,3}\.\d{1,3} /;

/** A command line's verb, upper-cased: its first characters up to a space or a colon (at most 8). */
function verbOf(command: string): string {
  let end = 0;
  while (end < 8 && end < command.length && command.charCodeAt(end) !== 0x20 && command.charCodeAt(end) !== 0x3a) end++;
  return command.slice(0, end).toUpperCase();
}

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
  /** Fault injection: the next reply is throttled (released after it) or cut in half with the connection dropped. */
  faultOnNextReply: Throttle | 'cut' | null = null;
  /** Fault injection (`data` + `partial`): the connection drops as the message body starts to arrive. */
  isDroppingMidData = false;
  #badCommands = 0;
  /** Failed AUTH attempts on this connection (the hooks close it past `limits.authFailures`). */
  authFailures = 0;
  /** Our own idle timer: the socket's would be reset by any byte, in either direction (see `_armTimeout`). */
  #idleTimer: NodeJS.Timeout | null = null;
  #idleMs = 0;
  /** When the last complete command came (performance.now()). */
  #activeAt = 0;
  /** STARTTLS was accepted and no command has come over TLS yet: a hang-up now means a refused certificate. */
  #isAwaitingTlsCommand = false;
  /** Reads from the socket, and the read the last command came in: two commands in one read are pipelined. */
  #reads = 0;
  #lastCommandRead = -1;
  /** The last command line (not an AUTH continuation): its verb tells a refusal from other errors (metrics). */
  #lastCommand = '';
  /** The next reply is written at once, not held to the end of the poll phase (see `sendNextReplyAtOnce`). */
  #replyAtOnce = false;
  /** Replies of the message path held to the end of the poll phase (see held-replies.ts). */
  readonly #held = new HeldReplies((text) => {
    if (this.#canWrite) this._socket.write(text);
  });

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

  get socket(): Socket | TLSSocket {
    return this._socket;
  }

  /** True once the connection is closing or closed: a delayed fault has nothing left to act on. */
  get isGone(): boolean {
    return this._closed || this._closing || this._socket.destroyed;
  }

  /** A fault's disconnect: the connection is dropped with no reply, as a crashed or cut-off server would. */
  drop(): void {
    this.transcript.note('connection dropped by fault');
    this._socket.destroy();
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
      if (this.#connectionsFromSameAddress() > this.#server.ctx.config.limits.maxConnectionsPerAddress) {
        this.send(421, '4.7.0 Too many connections from your address, try again later', false);
        return;
      }
      const rule = smtpFault(this.#server.ctx, this, 'connect');
      if (!rule) return this.connectionReady();
      runSmtpFault(this, 'connect', rule, {
        proceed: () => this.connectionReady(),
        // A refused greeting leaves the client nothing to say: the connection ends, as with 421 and 554 servers.
        answer: (code, text) => {
          this.send(code, text, false);
          this.close();
        },
      });
    });
  }

  /** One address may hold at most `maxConnectionsPerAddress` of the listener's slots (SPEC §10); this one included. */
  #connectionsFromSameAddress(): number {
    let n = 0;
    for (const c of this._server.connections as Set<SMTPConnection>) if (c.remoteAddress === this.remoteAddress) n++;
    return n;
  }

  /**
   * Replaces the library's socket timeout, which any byte resets (a byte a minute held a slot forever), with a timer
   * restarted only by complete commands. Until the client authenticates or starts a transaction it is the short
   * pre-login time (SPEC §10).
   */
  override _armTimeout(socket?: Socket): void {
    (socket ?? this._socket).setTimeout(0);
    this.#armIdle();
  }

  #armIdle(): void {
    if (this._closed) {
      if (this.#idleTimer) clearTimeout(this.#idleTimer);
      return;
    }
    const { smtpIdleMs, preLoginIdleMs } = this.#server.ctx.config.limits;
    const isInUse = Boolean(this.session.user) || Boolean(this.session.envelope?.mailFrom) || this.session.transaction > 1;
    const ms = isInUse ? smtpIdleMs : Math.min(smtpIdleMs, preLoginIdleMs);
    this.#activeAt = performance.now();
    // While its length stays, the running timer is left alone: when it fires it looks at the time of the last command
    // and waits out the rest (restarting a timer on each command cost more than the command's own bookkeeping).
    if (this.#idleTimer && this.#idleMs === ms) return;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleMs = ms;
    this.#waitIdle(ms);
  }

  #waitIdle(ms: number): void {
    this.#idleTimer = setTimeout(() => {
      // A timer can fire up to a millisecond before its time as the event loop measures it.
      const left = this.#idleMs - (performance.now() - this.#activeAt);
      if (left > 1) this.#waitIdle(left);
      else this._onTimeout();
    }, ms);
    this.#idleTimer.unref();
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
    CommandLineReader.install(parser as unknown as CommandLineParser);
    // Counts socket reads, so a command that came in the same read as the previous one is known to be pipelined.
    // Wrapped after the reader is installed: the reader replaces `_write`, and would drop a wrapper put on before it.
    const write = parser._write.bind(parser);
    parser._write = (chunk, encoding, next) => {
      this.#reads++;
      write(chunk, encoding, next);
    };
    return parser;
  }

  override _onCommand(command: Buffer, callback?: () => void): void {
    const isContinuation = this._nextHandler !== false;
    this.#armIdle();
    const text = command.toString('utf8');
    if (!isContinuation) this.#lastCommand = text;
    const forbidden = forbiddenInLine.exec(text);
    if (!this._upgrading) {
      const line = redactCommand(text, isContinuation);
      this.transcript.client(forbidden ? escapeControls(line) : line);
    }
    if (this.secure) this.#isAwaitingTlsCommand = false;
    else if (!this._upgrading && !isContinuation && /^STARTTLS\s*$/i.test(text)) this.#isAwaitingTlsCommand = true;
    if (forbidden && !this._upgrading && this._ready) {
      // Refused whole, whatever part of the line it is in, and an AUTH exchange in progress ends with it.
      this._nextHandler = false;
      this.send(501, `5.5.2 Error: ${forbiddenNames[forbidden[0]]} in command line (lines end with CRLF)`, false);
      this._whenWritable(callback ?? (() => undefined));
      return;
    }
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
    if (!isContinuation && !this._upgrading && this._ready && this.#isTakenOver(command, callback ?? (() => undefined))) return;
    super._onCommand(command, callback);
  }

  /**
   * The seam for what smtp-server has no hook for: a command pipelined when PIPELINING is turned off (refused, as
   * Exim does), and the fault stages at EHLO/HELO, STARTTLS and DATA. True when the command was taken over.
   */
  #isTakenOver(command: Buffer, callback: () => void): boolean {
    const isPipelined = this.#lastCommandRead === this.#reads;
    this.#lastCommandRead = this.#reads;
    const { ctx } = this.#server;
    if (isPipelined && !ctx.config.smtpExtensions.PIPELINING) {
      this.send(554, '5.5.0 Error: SMTP synchronization error, PIPELINING is not offered: wait for each reply');
      this._whenWritable(callback);
      return true;
    }
    if (!ctx.store.faults.has('smtp')) return false; // the hot path: no rule, nothing to look at
    const stage = commandStages[command.toString('latin1').split(' ', 1)[0].toUpperCase()];
    // A DATA the library refuses anyway (no accepted recipient, e.g. pipelined after a refused RCPT) is no stage.
    if (!stage || (stage === 'data' && !this.session.envelope?.rcptTo.length)) return false;
    const rule = smtpFault(ctx, this, stage, () => ({
      from: this.session.envelope?.mailFrom ? this.session.envelope.mailFrom.address : undefined,
      to: this.session.envelope?.rcptTo.map((r) => r.address),
      user: typeof this.session.user === 'string' ? this.session.user : undefined,
    }));
    if (!rule) return false;
    runSmtpFault(this, stage, rule, {
      proceed: () => super._onCommand(command, callback),
      answer: (code, text) => {
        this.send(code, text);
        this._whenWritable(callback);
      },
    });
    return true;
  }

  /**
   * For a reply that already waited for a store commit: the SQLite store commits in a `setImmediate`, so holding the
   * `250` to the next one would cost each message a whole extra event-loop turn.
   */
  sendNextReplyAtOnce(): void {
    this.#replyAtOnce = true;
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (typeof data === 'string' && enhancedCodePrefix.test(data)) context = false;
    // The library's non-standard 538 for AUTH before STARTTLS (`--starttls required`) is RFC 3207's 530.
    if (code === 538) code = 530;
    const isHeld = heldReplyCodes.has(code) && this.faultOnNextReply === null && !this.#replyAtOnce;
    this.#replyAtOnce = false;
    // Any other reply (a STARTTLS 220 before the upgrade, a 421 before a close, a fault's throttled or cut reply)
    // goes out at once, after what was held back.
    if (!isHeld) this.#held.flush();
    if (this.faultOnNextReply !== null && this.#sendFaulted(code, data, context)) return;
    const writes = this.#canWrite;
    const payload = this.formatReply(code, data, context);
    if (writes && isHeld) this.#held.hold(payload);
    else this.#write(code, payload, writes);
    const rejection = writes && code >= 400 ? smtpRejectionReason(code, verbOf(this.#lastCommand)) : null;
    if (rejection) this.#server.ctx.signals.messageRejected('smtp', rejection);
    if (writes) {
      if (context === 'DATA_OK') this.transcript.messageAccepted(payload);
      else this.#recordReply(payload);
    }
    // The reply that answers the limit-th bad command is followed by the goodbye: no error reply past the limit.
    if (badCommandReplies.has(code) && ++this.#badCommands >= this.#server.ctx.config.limits.smtpBadCommands) {
      this.#badCommands = -Infinity; // once: the 421 below must not count again
      this.send(421, '4.7.0 Error: too many bad commands, closing connection', false);
    }
  }

  /**
   * What smtp-server's send() does with a formatted reply (3.21.6): it is formatted here once, for the socket and the
   * transcript alike. `writes` is that method's single write condition (nothing is written during a TLS handshake).
   */
  #write(code: number, payload: string, writes: boolean): void {
    if (code >= 400) this.session.error = payload;
    // RFC 4954 §4: an empty challenge is `334 ` with its space.
    if (writes) this._socket.write(code === 334 && payload === '334' ? '334 \r\n' : payload + '\r\n');
    // The connection goes away even when the reply could not be written.
    if (code === 421) this.close();
  }

  /** Mirrors the single write site's condition in smtp-server: nothing is written during a TLS handshake. */
  get #canWrite(): boolean {
    const socket = this._socket;
    return !this._upgrading && !socket.destroyed && socket.readyState === 'open';
  }

  override close(): void {
    // The replies held back go out before the connection ends, as a corked socket's buffer would at end().
    this.#held.flush();
    super.close();
  }

  #recordReply(payload: string): void {
    if (!payload.includes('\n')) return this.transcript.server(payload);
    for (const line of payload.split('\r\n')) this.transcript.server(line);
  }

  /** A reply under a fault: throttled (then released), or cut in half and the connection dropped. True when sent here. */
  #sendFaulted(code: number, data: string | string[] | null | undefined, context: string | false | undefined): boolean {
    const fault = this.faultOnNextReply;
    this.faultOnNextReply = null;
    const payload = this.formatReply(code, data, context);
    if (fault !== 'cut') {
      this.#write(code, payload, this.#canWrite);
      fault?.release();
      this.#recordReply(payload);
      return true;
    }
    this.transcript.note(`reply cut off by fault: ${payload.split('\r\n', 1)[0]}`);
    writePartialAndDrop(this._socket, Buffer.from(payload + '\r\n'));
    return true;
  }

  /** A reply as smtp-server's send() writes it (see formatSmtpReply), with this connection's enhanced status code. */
  formatReply(code: number, data?: string | string[] | null, context?: string | false): string {
    return formatSmtpReply(code, this._getEnhancedStatusCode(code, context), data);
  }

  override _onError(err: Error & { code?: string; remoteAddress?: string }): void {
    // A failed STARTTLS handshake or a reset mid-transaction: the session log says why the session ended.
    this.transcript.note(`error: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '));
    super._onError(err);
  }

  override _onClose(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
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

/** A refused line's CR, LF and NUL made visible, so the transcript keeps it as one line. */
function escapeControls(line: string): string {
  return line.replace(/[\r\n\0]/g, (c) => ({ '\r': '\\r', '\n': '\\n', '\0': '\\0' })[c] ?? c);
}
