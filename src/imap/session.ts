import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerContext } from '../shared/server-context.js';
import type { SessionHandle } from '../store/session-log.js';
import type { MimeCache } from '../mime/mime-cache.js';
import type { MessageCache } from './message-cache.js';
import { reportTlsHangup } from '../shared/tls-hangup-hint.js';
import type { MailboxView } from './mailbox-view.js';
import { DeflateStream } from './wire/deflate-stream.js';

export type SessionState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

export interface SessionOptions {
  remoteAddress?: string;
  localPort?: number;
  /** Implicit TLS (IMAPS): already encrypted. */
  isTls: boolean;
  /** Wraps the plain connection in TLS for STARTTLS; absent where that is impossible (IMAPS, in-memory tests). */
  upgradeTls?: (plain: Duplex) => Promise<Duplex>;
  /** `--starttls required`: LOGIN and AUTHENTICATE are refused until STARTTLS (LOGINDISABLED is advertised). */
  isTlsRequired?: boolean;
  /** Parsed MIME trees, search text and formatted FETCH items, shared by the server's sessions. */
  cache: MessageCache;
}

/** Output is gathered and written in chunks of about this size (fewer syscalls, bounded memory). */
const writeChunkBytes = 64 * 1024;
/** Pieces this large on average are written as they are (writev) rather than copied into one Buffer. */
const largePiecesBytes = 8 * 1024;

/**
 * One IMAP connection: its state and its output. Input (framing, dispatch) is the dispatcher's; the session
 * only hands it the bytes. Takes a Duplex so session tests run without sockets.
 */
export class ImapSession {
  state: SessionState = 'not-authenticated';
  /** The mailbox address once logged in. */
  user: string | null = null;
  view: MailboxView | null = null;
  isTls: boolean;
  /** Inside IDLE: updates are pushed as they happen. */
  isIdling = false;
  badCommands = 0;
  /** Failed LOGIN/AUTHENTICATE attempts on this connection. */
  authFailures = 0;
  /** Extensions turned on for this connection (ENABLE, RFC 5161; CONDSTORE also by its enabling commands). */
  readonly enabled = new Set<string>();
  readonly log: SessionHandle;
  #socket: Duplex;
  #out: Buffer[] = [];
  #outBytes = 0;
  #isClosed = false;
  #isClosing = false;
  #idleTimer: NodeJS.Timeout | null = null;
  /** STARTTLS was answered and nothing has come over TLS yet: a hang-up now means a refused certificate. */
  #isAwaitingTlsCommand = false;
  #onInput: (chunk: Buffer) => void = () => {};
  readonly #onClose: Array<() => void> = [];

  constructor(
    readonly server: ServerContext,
    socket: Duplex,
    readonly options: SessionOptions,
  ) {
    this.#socket = socket;
    this.isTls = options.isTls;
    this.log = server.sessions.start('imap', { remoteAddress: options.remoteAddress, localPort: options.localPort, tls: options.isTls });
    this.touch();
    this.#attach(socket);
  }

  get mime(): MimeCache {
    return this.options.cache.mime;
  }

  get cache(): MessageCache {
    return this.options.cache;
  }

  /** Once the transcript holds its maximum, lines are only counted: callers may skip building them. */
  get isTranscriptFull(): boolean {
    return this.log.record.lineCount >= this.server.sessions.maxLines;
  }

  /** True from the moment a close begins: no further command is read or answered. */
  get isClosed(): boolean {
    return this.#isClosed || this.#isClosing;
  }

  get canStartTls(): boolean {
    return !this.isTls && this.options.upgradeTls !== undefined;
  }

  /**
   * (Re)starts the idle timer. The dispatcher calls it for each complete command or continuation line, never for
   * bare bytes, so a byte now and then can't hold a connection (SPEC §10). Before login the time is short.
   */
  touch(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    const { imapIdleMs, preLoginIdleMs } = this.server.config.limits;
    const ms = this.state === 'not-authenticated' ? Math.min(imapIdleMs, preLoginIdleMs) : imapIdleMs;
    this.#idleTimer = setTimeout(() => void this.close('Autologout; idle for too long'), ms);
    this.#idleTimer.unref?.();
  }

  /** Logins wait for TLS: `--starttls required` on a connection not yet encrypted. */
  get isTlsRequired(): boolean {
    return !this.isTls && this.options.isTlsRequired === true;
  }

  /** The dispatcher's input hook. */
  setInput(fn: (chunk: Buffer) => void): void {
    this.#onInput = fn;
  }

  onClose(fn: () => void): void {
    this.#onClose.push(fn);
  }

  pauseInput(): void {
    this.#socket.pause();
  }

  resumeInput(): void {
    if (!this.#isClosed) this.#socket.resume();
  }

  /** Queues bytes; `transcript` is what the session log shows for them (message bodies omitted). */
  write(data: Buffer | string | readonly Buffer[], transcript?: string): void {
    if (this.#isClosed) return;
    // Pieces are kept as given (message bytes are not copied until the one concat per written chunk).
    for (const buf of typeof data === 'string' ? [Buffer.from(data, 'utf8')] : Buffer.isBuffer(data) ? [data] : data) {
      this.#out.push(buf);
      this.#outBytes += buf.length;
    }
    const line = transcript ?? (typeof data === 'string' ? data : null);
    if (line !== null) this.log.line('S', line.replace(/\r\n$/, ''));
  }

  /** Queues bytes and writes them out when enough have gathered, waiting for the socket to drain. */
  async send(data: Buffer | string | readonly Buffer[], transcript?: string): Promise<void> {
    this.write(data, transcript);
    if (this.#outBytes >= writeChunkBytes) await this.flush();
  }

  /** Queues bytes whose `lines` response lines the full transcript only counts (see isTranscriptFull). */
  async sendUnrecorded(data: readonly Buffer[], lines: number): Promise<void> {
    if (this.#isClosed) return;
    this.log.dropped(lines);
    await this.send(data);
  }

  /** `* text` — an untagged response. */
  async untagged(text: string): Promise<void> {
    await this.send(`* ${text}\r\n`);
  }

  /** Writes everything queued; resolves once the socket accepted it (backpressure) or closed. */
  async flush(): Promise<void> {
    if (this.#outBytes === 0 || this.#isClosed) return;
    const out = this.#out;
    const bytes = this.#outBytes;
    this.#out = [];
    this.#outBytes = 0;
    const socket = this.#socket;
    let isDrained: boolean;
    if (out.length === 1 || bytes < largePiecesBytes * out.length || !(socket instanceof Socket)) {
      // Many small pieces (a FETCH BODY[] answer is a few per message), or a stream of ours (COMPRESS, which
      // sync-flushes each write; a fault tap): one copy, one write.
      isDrained = socket.write(out.length === 1 ? out[0] : Buffer.concat(out, bytes));
    } else {
      // A few large pieces (FetchBatch's 32 KiB batches): one writev, no copy into a fresh 64 KiB+ Buffer (a new
      // backing store per flush; a repeated 10,000-message flag sync used ~10 % less server CPU without it).
      socket.cork();
      for (const b of out) socket.write(b);
      socket.uncork();
      isDrained = !socket.writableNeedDrain;
    }
    if (isDrained) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  /** Sends `* BYE text` (when given), flushes and closes the connection. */
  async close(bye?: string): Promise<void> {
    if (this.#isClosed || this.#isClosing) return;
    this.#isClosing = true;
    if (bye) this.write(`* BYE ${bye}\r\n`);
    // A client that stopped reading must not hold the close (server shutdown) forever.
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, 1_000).unref?.())]);
    this.state = 'logout';
    this.#isClosed = true;
    this.#socket.end();
    // A client that never reads would keep the socket half-open forever.
    setTimeout(() => this.#socket.destroy(), 2_000).unref?.();
    this.#cleanup();
  }

  /** The stream responses are written to: fault injection taps it to throttle or cut them (SPEC §13). */
  get socket(): Duplex {
    return this.#socket;
  }

  /** A fault's disconnect: no `* BYE`, the connection just goes away. */
  drop(): void {
    this.log.line('*', 'connection dropped by fault');
    this.#isClosing = true;
    this.#socket.destroy();
  }

  /** STARTTLS: after the tagged OK, the same connection continues encrypted. */
  async upgradeTls(): Promise<void> {
    if (!this.options.upgradeTls) throw new Error('TLS is not available on this connection');
    const plain = this.#socket;
    this.#detach(plain);
    this.#socket = await this.options.upgradeTls(plain);
    this.#attach(this.#socket);
    this.isTls = true;
    this.#isAwaitingTlsCommand = true;
    this.log.setTls();
    this.log.line('*', 'TLS started');
  }

  /** COMPRESS=DEFLATE is on (RFC 4978): a second COMPRESS is `NO [COMPRESSIONACTIVE]`. */
  isCompressed = false;

  /** COMPRESS DEFLATE: after the tagged OK, everything both ways goes through raw deflate. */
  startCompression(): void {
    const raw = this.#socket;
    this.#detach(raw);
    this.#socket = new DeflateStream(raw);
    this.#attach(this.#socket);
    this.isCompressed = true;
    this.log.line('*', 'COMPRESS=DEFLATE started');
  }

  selectView(view: MailboxView): void {
    this.view?.close();
    this.view = view;
    this.state = 'selected';
  }

  /** Leaves the selected state (CLOSE, UNSELECT, a failed SELECT). */
  deselect(): void {
    this.view?.close();
    this.view = null;
    if (this.state === 'selected') this.state = 'authenticated';
  }

  readonly #handlers = {
    data: (chunk: Buffer): void => {
      this.#isAwaitingTlsCommand = false;
      this.#onInput(chunk);
    },
    close: (): void => {
      this.#isClosed = true;
      this.#cleanup();
    },
    error: (err: Error): void => {
      this.server.logger.debug('imap connection error', { session: this.log.id, error: err.message });
    },
  };

  #attach(socket: Duplex): void {
    socket.on('data', this.#handlers.data);
    socket.on('close', this.#handlers.close);
    socket.on('error', this.#handlers.error);
  }

  #detach(socket: Duplex): void {
    socket.off('data', this.#handlers.data);
    socket.off('close', this.#handlers.close);
    socket.off('error', this.#handlers.error);
  }

  #cleanup(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.view?.close();
    this.view = null;
    if (this.#isAwaitingTlsCommand) reportTlsHangup('imap', 'STARTTLS', (line) => this.log.line('*', line), this.server.logger, this.log.id);
    this.log.end();
    for (const fn of this.#onClose.splice(0)) fn();
  }
}
