import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { TLSSocket } from 'node:tls';
import type { SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ServerContext } from '../shared/server-context.js';
import type { SessionHandle } from '../store/session-log.js';
import { StoreError, type Mailbox } from '../store/types.js';
import { commands } from './commands/index.js';
import type { Pop3State, SessionControl } from './commands/command.js';
import { LineFramer } from './line-framer.js';
import type { Frame } from './line-framer.js';
import { Maildrop } from './maildrop.js';
import { waitForDrain, writeStuffed } from './body-writer.js';
import { SlabArena } from '../shared/slab-arena.js';
import { encodeLines, formatError, ok, Pop3Error } from './responses.js';
import { authFailureDelay, sleep } from '../shared/auth-throttle.js';
import { isHttpRequestLine } from '../shared/http-request-line.js';
import type { Reply } from './responses.js';
import { reportTlsHangup } from '../shared/tls-hangup-hint.js';
import { actOutFault } from '../shared/fault-check.js';
import { pop3Fault } from './pop3-faults.js';

export interface Pop3SessionOptions {
  /** The stream is already encrypted (POP3S). */
  isTls: boolean;
  /** Offered through STLS while the session is not encrypted; absent on a listener without STLS. */
  secureContext?: SecureContext;
  /** `--starttls required`: logins are refused until the session is encrypted. */
  isTlsRequired?: boolean;
  remoteAddress?: string;
  localPort?: number;
}

/** Input lines queued beyond this pause the stream, so a client pipelining without reading is held back by TCP. */
const QUEUE_HIGH = 64;
const QUEUE_LOW = 16;
/** How long a peer gets to close its side after we ended ours. */
const CLOSE_GRACE_MS = 5_000;

/**
 * One POP3 connection (RFC 1939), over any `Duplex` (a socket, a TLS socket, or an in-memory pair in tests).
 * Frames input into lines, runs one command at a time through the declared command table, renders replies
 * and errors in one place, and owns the maildrop lock for its lifetime.
 */
export class Pop3Session implements SessionControl {
  readonly id: string;
  readonly apopTimestamp = `<${process.pid}.${Date.now()}.${randomBytes(4).toString('hex')}@${hostname() || 'localhost'}>`;
  readonly closed: Promise<void>;
  state: Pop3State = 'authorization';
  pendingUser: string | null = null;
  #stream: Duplex;
  #isTls: boolean;
  readonly #secureContext: SecureContext | undefined;
  readonly #log: SessionHandle;
  readonly #framer: LineFramer;
  readonly #queue: Frame[] = [];
  /** Where small replies are assembled (128 KiB slabs). */
  readonly #arena = new SlabArena(128 * 1024);
  #continuation: ((line: string) => Reply) | null = null;
  #maildrop: Maildrop | null = null;
  #mailbox: Mailbox | null = null;
  #badCommands = 0;
  #authFailures = 0;
  /** Lines read so far: the first one is checked for an HTTP request line. */
  #linesRead = 0;
  #idleTimer: NodeJS.Timeout | null = null;
  #isBusy = false;
  #isUpgrading = false;
  /** STLS was answered and no command has come over TLS yet: a hang-up now means a refused certificate. */
  #isAwaitingTlsCommand = false;
  /** No more input is processed: QUIT, a limit, idle or shutdown. */
  #isEnding = false;
  #isClosed = false;
  #isShuttingDown = false;
  /** The client half-closed: answer what it sent, then close. */
  #isInputEnded = false;
  #resolveClosed!: () => void;

  constructor(
    readonly ctx: ServerContext,
    stream: Duplex,
    readonly options: Pop3SessionOptions,
  ) {
    this.#stream = stream;
    this.#isTls = options.isTls;
    this.#secureContext = options.secureContext;
    this.#framer = new LineFramer(ctx.config.limits.pop3LineLength);
    this.#log = ctx.sessions.start('pop3', { remoteAddress: options.remoteAddress, localPort: options.localPort, tls: options.isTls });
    this.id = this.#log.id;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#attach(stream);
    this.#greet();
    this.#armIdle();
  }

  /** The greeting, through the fault rules: a `connect` fault may delay, throttle, replace or cut it. */
  #greet(): void {
    const greeting = `+OK mailsandbox POP3 server ready ${this.apopTimestamp}`;
    const rule = pop3Fault(this.ctx, this.#log, 'connect');
    if (!rule) return this.#writeLine(greeting);
    this.#isBusy = true; // input waits in the queue until the greeting (or the fault) is done
    const terminate = (reply: string) => (this.#writeLine(reply), this.#terminate());
    const control = { stream: this.#stream, isWholeSession: true, proceed: () => this.#writeLine(greeting), answer: terminate, drop: this.#drop };
    void actOutFault(rule, control).finally(() => {
      this.#isBusy = false;
      void this.#pump();
    });
  }

  /** A fault's disconnect: no goodbye, the connection just goes away. */
  #drop = (): void => void (this.#log.line('*', 'connection dropped by fault'), this.#stream.destroy());

  get isTls(): boolean {
    return this.#isTls;
  }

  get canStartTls(): boolean {
    return !this.#isTls && this.#secureContext !== undefined;
  }

  get isTlsRequired(): boolean {
    return !this.#isTls && this.options.isTlsRequired === true;
  }

  get maildrop(): Maildrop {
    if (!this.#maildrop) throw new Error('No maildrop outside the TRANSACTION state');
    return this.#maildrop;
  }

  openMaildrop(user: string): Reply {
    const mailbox = this.#ensureMailbox(user);
    if (mailbox.pop3LockedBy !== null && mailbox.pop3LockedBy !== this.id) {
      throw new Pop3Error('Maildrop already locked by another session', 'IN-USE', false);
    }
    const inbox = mailbox.folders.get('INBOX');
    if (!inbox) throw new Error(`Mailbox ${mailbox.address} has no INBOX`);
    mailbox.pop3LockedBy = this.id;
    this.#mailbox = mailbox;
    this.#maildrop = new Maildrop(inbox);
    this.state = 'transaction';
    this.#log.setUser(mailbox.address);
    return ok(`${mailbox.address} has ${this.#maildrop.count} messages (${this.#maildrop.octets} octets)`);
  }

  /** The user's mailbox; past the store's mailbox limit a new one is refused (`-ERR [SYS/TEMP]`). */
  #ensureMailbox(user: string): Mailbox {
    try {
      return this.ctx.store.ensureMailbox(user);
    } catch (err) {
      if (err instanceof StoreError) throw new Pop3Error(err.message, 'SYS/TEMP', false);
      throw err;
    }
  }

  /**
   * RFC 1939 §6: the UPDATE state. Deletions are committed only here; RETR'd messages that are kept get
   * `\Seen` here too (Dovecot's behaviour), so a dropped connection changes nothing at all.
   */
  commitAndQuit(): Reply {
    this.state = 'update';
    const maildrop = this.maildrop;
    const store = this.ctx.store;
    try {
      // Skip placements another protocol removed meanwhile: flagging them would announce a ghost.
      const seen = maildrop.retrievedKept().filter((p) => store.placementsOf(p.message).includes(p));
      if (seen.length) store.setFlags(seen, ['\\Seen'], 'add', this);
      store.removePlacements(maildrop.deletions(), this);
    } catch (err) {
      this.ctx.logger.error('pop3 commit failed', { session: this.id, err });
      this.#releaseLock();
      throw new Pop3Error('Some deleted messages not removed', 'SYS/TEMP', false, true);
    }
    this.#releaseLock();
    return ok(`mailsandbox POP3 server signing off (${maildrop.deletedCount} messages deleted)`, { then: 'close' });
  }

  /** Server shutdown: finish the command in progress, say goodbye, close. */
  shutdown(): void {
    if (this.#isClosed || this.#isShuttingDown) return;
    this.#isShuttingDown = true;
    this.#isEnding = true;
    if (!this.#isBusy) this.#sayGoodbye();
  }

  destroy(): void {
    this.#stream.destroy();
  }

  // ---- input ----

  #attach(stream: Duplex): void {
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('error', this.#onError);
    stream.on('close', this.#onClose);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#isEnding) return;
    const queued = this.#queue.length;
    for (const frame of this.#framer.push(chunk)) this.#queue.push(frame);
    // Only a complete line resets the idle timer: a byte now and then must not hold a connection (SPEC §10).
    if (this.#queue.length === queued) return;
    // While a reply is being written the timer watches the writing: a client that keeps sending but stops
    // reading must not escape it.
    if (!this.#isBusy) this.#clearIdle();
    if (this.#queue.length > QUEUE_HIGH) this.#stream.pause();
    void this.#pump();
  };

  readonly #onEnd = (): void => {
    this.#isInputEnded = true;
    if (!this.#isBusy) this.#terminate();
  };

  readonly #onError = (err: Error): void => {
    this.ctx.logger.debug('pop3 connection error', { session: this.id, err: err.message });
    this.#log.line('*', `connection error: ${err.message}`);
    this.#stream.destroy();
  };

  readonly #onClose = (): void => {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#isEnding = true;
    this.#clearIdle();
    // A connection that ends without QUIT commits nothing (RFC 1939 §6); it only gives up the lock.
    this.#releaseLock();
    if (this.#isAwaitingTlsCommand) reportTlsHangup('pop3', 'STLS', (line) => this.#log.line('*', line), this.ctx.logger, this.id);
    this.#log.line('*', 'connection closed');
    this.#log.end();
    this.#resolveClosed();
  };

  async #pump(): Promise<void> {
    if (this.#isBusy) return;
    this.#isBusy = true;
    try {
      while (this.#queue.length && !this.#isEnding) {
        const frame = this.#queue.shift() as Frame;
        if (this.#queue.length < QUEUE_LOW && this.#stream.isPaused() && !this.#isUpgrading) this.#stream.resume();
        await this.#handleFrame(frame);
      }
    } catch (err) {
      // Only I/O can get here (handlers are contained in #respond): the connection is beyond saving.
      this.ctx.logger.debug('pop3 write failed', { session: this.id, err });
      this.#stream.destroy();
    } finally {
      this.#isBusy = false;
    }
    this.#arena.release();
    if (this.#isShuttingDown) this.#sayGoodbye();
    else if (this.#isInputEnded) this.#terminate();
    else if (!this.#isEnding && !this.#isUpgrading) this.#armIdle();
  }

  async #handleFrame(frame: Frame): Promise<void> {
    if (frame.kind === 'overlong') {
      this.#log.line('C', `<line of ${frame.octets} octets discarded>`);
      this.#continuation = null;
      return this.#fail(new Pop3Error(`Line too long (limit ${this.#framer.maxLine} octets)`));
    }
    const text = frame.line.toString('utf8');
    if (this.#linesRead++ === 0 && isHttpRequestLine(text)) return this.#refuseHttp(text);
    if (/[\x00-\x1f\x7f]/.test(text)) {
      // A refused login line is redacted too: `PASS secret\t` must not reach the transcript.
      this.#log.line('C', redactedLogin(text) ?? text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
      this.#continuation = null;
      return this.#fail(new Pop3Error('Invalid characters in command'));
    }
    this.#isAwaitingTlsCommand = false;
    const continuation = this.#continuation;
    if (continuation) {
      this.#continuation = null;
      this.#log.line('C', text === '*' ? '*' : '****');
      return this.#respond(() => continuation(text));
    }
    return this.#dispatch(text);
  }

  /** The one dispatcher: looks the keyword up, enforces state and argument count, runs, renders. */
  async #dispatch(text: string): Promise<void> {
    const space = text.indexOf(' ');
    const keyword = space === -1 ? text : text.slice(0, space);
    const rest = space === -1 ? undefined : text.slice(space + 1);
    const name = keyword.toUpperCase();
    const spec = commands.get(name);
    const args = spec?.args === 'rest' ? (rest === undefined ? [] : [rest]) : (rest ?? '').split(' ').filter((a) => a !== '');
    this.#log.line('C', spec?.redact && args.length ? `${keyword} ${spec.redact(args)}` : text);
    if (!spec) return this.#fail(new Pop3Error(name ? 'Unknown command' : 'Empty command'));
    if (!spec.states.includes(this.state)) return this.#fail(new Pop3Error(`${name} not valid in this state`));
    const [min, max] = spec.args === 'rest' ? [1, 1] : spec.args;
    if (args.length < min || args.length > max) return this.#fail(new Pop3Error(`Syntax: ${spec.usage}`));
    const rule = pop3Fault(this.ctx, this.#log, name, () => ({ args, mailbox: this.#mailbox?.address, pendingUser: this.pendingUser }));
    const run = () => this.#respond(() => spec.run(this, args), name === 'PASS' || name === 'APOP' || name === 'QUIT');
    if (!rule) return run();
    return actOutFault(rule, { stream: this.#stream, proceed: run, answer: (reply) => this.#writeLine(reply), drop: this.#drop });
  }

  /** `changes`: the command may change the store (a login creates the mailbox, QUIT commits deletions). */
  async #respond(run: () => Reply, changes = false): Promise<void> {
    let reply: Reply;
    try {
      const hadMaildrop = this.#mailbox !== undefined && this.#mailbox !== null;
      reply = changes ? await this.ctx.store.exclusive(run) : run();
      // The maildrop lock across nodes sharing a store (PostgreSQL): taken once this node's own lock is.
      if (!hadMaildrop && this.#mailbox) {
        const locked = await this.ctx.store.lockMaildrop(this.#mailbox.address, this.id).catch((err: unknown) => {
          this.#abandonMaildrop();
          throw err;
        });
        if (!locked) {
          this.#abandonMaildrop();
          throw new Pop3Error('Maildrop already locked by another session', 'IN-USE', false);
        }
      }
      // A commit (QUIT) is answered once the store has it for good (at once in memory and in SQLite).
      await this.ctx.store.durable();
    } catch (err) {
      return this.#fail(err);
    }
    await this.#writeReply(reply);
  }

  // ---- output ----

  async #fail(err: unknown): Promise<void> {
    if (err instanceof Pop3Error && err.code === 'AUTH') return this.#authFailed(err);
    if (!(err instanceof Pop3Error)) {
      // A bug, contained: the client gets an answer and the session carries on (STYLE §4).
      this.ctx.logger.error('pop3 command failed', { session: this.id, err });
      this.#writeLine('-ERR [SYS/TEMP] Internal server error');
      return;
    }
    const { limits } = this.ctx.config;
    // Before login only a few: a browser's POST to this port must never get to a command (SPEC §10).
    const maxBad = this.state === 'authorization' ? limits.preLoginBadCommands : limits.pop3BadCommands;
    if (err.isBadCommand && ++this.#badCommands >= maxBad) {
      this.#writeLine('-ERR Too many bad commands, closing connection');
      return this.#terminate();
    }
    this.#writeLine(formatError(err));
    if (err.closesConnection) this.#terminate();
  }

  /** A failed authentication: answered after a growing delay; the last allowed one closes the connection. */
  async #authFailed(err: Pop3Error): Promise<void> {
    const { authFailures, authFailureDelayMs } = this.ctx.config.limits;
    const failures = ++this.#authFailures;
    await sleep(authFailureDelay(failures, authFailureDelayMs));
    if (failures < authFailures) return this.#writeLine(formatError(err));
    this.#writeLine('-ERR [AUTH] Too many failed authentications, closing connection');
    this.#terminate();
  }

  /** The first line was an HTTP request line (a web page's fetch to this port): nothing of it is run. */
  #refuseHttp(text: string): void {
    this.#log.line('C', text.slice(0, 200));
    this.#writeLine('-ERR This is a POP3 server, not an HTTP server; closing connection');
    this.#terminate();
  }

  async #writeReply(reply: Reply): Promise<void> {
    if (reply.kind === 'challenge') {
      this.#writeLine(`+ ${reply.challenge}`);
      this.#continuation = reply.next;
      return;
    }
    const status = reply.text ? `+OK ${reply.text}` : '+OK';
    if (reply.then === 'starttls') return this.#startTls(status);
    if (reply.lines) {
      this.#log.line('S', status);
      this.#log.line('S', reply.linesNote ?? reply.lines.join('\n'));
      await this.#write(Buffer.concat([Buffer.from(status + '\r\n'), encodeLines(reply.lines)]));
    } else if (reply.body) {
      this.#log.line('S', status);
      this.#log.line('S', reply.body.note);
      await this.#writeBody(Buffer.from(status + '\r\n'), reply.body.data);
    } else {
      this.#writeLine(status);
    }
    if (reply.then === 'close') this.#terminate();
  }

  #writeBody(status: Buffer, data: Buffer): Promise<void> {
    return writeStuffed(this.#stream, status, data, { waitForDrain: () => this.#waitForDrain(), isClosed: () => this.#isClosed, arena: this.#arena });
  }

  #writeLine(line: string): void {
    this.#log.line('S', line);
    if (!this.#isClosed) this.#stream.write(line + '\r\n');
  }

  async #write(buf: Buffer): Promise<void> {
    if (this.#isClosed) return;
    if (!this.#stream.write(buf)) await this.#waitForDrain();
  }

  /** Waits for the peer to read; a peer that stops reading for the idle time is cut off (see #armIdle). */
  async #waitForDrain(): Promise<void> {
    this.#armIdle();
    await waitForDrain(this.#stream);
    this.#clearIdle();
  }

  /**
   * RFC 2595 §4 / SPEC §10: stop reading, throw away everything received after STLS (the STARTTLS command
   * injection class of bugs), answer, then hand the raw stream to TLS.
   */
  async #startTls(status: string): Promise<void> {
    const raw = this.#stream;
    this.#isUpgrading = true;
    raw.off('data', this.#onData);
    raw.off('end', this.#onEnd);
    raw.pause();
    this.#queue.length = 0;
    this.#framer.reset();
    this.#log.line('S', status);
    await new Promise<void>((resolve) => raw.write(status + '\r\n', () => resolve()));
    if (this.#isClosed) return;
    this.#isAwaitingTlsCommand = true;
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.#secureContext });
    this.#stream = secure;
    secure.on('error', this.#onError);
    secure.on('close', this.#onClose);
    // A client that closes before finishing the handshake would hold the half-open connection until the idle timeout.
    const closedEarly = () => secure.destroy();
    secure.once('end', closedEarly);
    secure.once('secure', () => {
      secure.off('end', closedEarly);
      this.#isTls = true;
      this.#isUpgrading = false;
      this.#log.setTls();
      this.#log.line('*', `TLS started (${secure.getProtocol() ?? 'unknown protocol'})`);
      secure.on('data', this.#onData);
      secure.on('end', this.#onEnd);
      this.#armIdle();
    });
    this.#armIdle();
  }

  #sayGoodbye(): void {
    if (this.#isClosed) return;
    this.#writeLine('-ERR [SYS/TEMP] Server shutting down');
    this.#terminate();
  }

  /** Stops processing input and ends the connection once what was written is flushed. */
  #terminate(): void {
    this.#isEnding = true;
    this.#continuation = null;
    this.#clearIdle();
    if (this.#isClosed || this.#stream.writableEnded) return;
    this.#stream.end();
    // A peer that never closes its side would hold the connection (and a connection slot) forever.
    setTimeout(() => this.#stream.destroy(), CLOSE_GRACE_MS).unref();
  }

  #releaseLock(): void {
    if (this.#mailbox?.pop3LockedBy === this.id) this.#mailbox.pop3LockedBy = null;
    if (this.#mailbox) void this.ctx.store.unlockMaildrop(this.#mailbox.address, this.id).catch(() => undefined);
  }

  /** Back to AUTHORIZATION: another node's session holds the maildrop. */
  #abandonMaildrop(): void {
    this.#releaseLock();
    this.#mailbox = null;
    this.#maildrop = null;
    this.state = 'authorization';
  }

  #armIdle(): void {
    this.#clearIdle();
    if (this.#isEnding) return;
    this.#idleTimer = setTimeout(() => {
      if (this.#isBusy) {
        // Stuck mid-response: there is no line boundary to write a goodbye at.
        this.#log.line('*', 'idle timeout while sending; connection dropped');
        this.#stream.destroy();
        return;
      }
      this.#writeLine('-ERR Idle timeout, closing connection');
      this.#terminate();
    }, this.#idleMs);
    this.#idleTimer.unref();
  }

  /** Before login a connection gets the short pre-login idle time (SPEC §10). */
  get #idleMs(): number {
    const { pop3IdleMs, preLoginIdleMs } = this.ctx.config.limits;
    return this.state === 'authorization' ? Math.min(pop3IdleMs, preLoginIdleMs) : pop3IdleMs;
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}

/** `PASS ****` (or `APOP name ****`...) for a line of a command whose arguments are secret; null for any other line. */
function redactedLogin(text: string): string | null {
  const keyword = /^[^\s\x00-\x1f\x7f]*/.exec(text)?.[0] ?? '';
  return commands.get(keyword.toUpperCase())?.redact ? `${keyword} ****` : null;
}
