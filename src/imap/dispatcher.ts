import type { ServerContext } from '../shared/server-context.js';
import { StoreError } from '../store/types.js';
import { isHttpRequestLine } from '../shared/http-request-line.js';
import { capabilities } from './capabilities.js';
import { commands } from './commands/index.js';
import type { CommandContext, CommandResult, CommandSpec } from './commands/define.js';
import { ImapError, bad, no } from './imap-error.js';
import type { ImapSession } from './session.js';
import { sanitizeText } from './wire/encoder.js';
import { ImapFramer, type Frame, type FramerEvent } from './wire/framer.js';
import { ImapSyntaxError, tokenize, type Token } from './wire/tokenizer.js';
import { imapFault, runImapFault } from './imap-faults.js';
import { appendRejectionReason } from './append-rejection.js';

/** Stop reading from a client that sends faster than commands complete once this much input is waiting. */
const inputHighWater = 1024 * 1024;
// tag = 1*<any ASTRING-CHAR except "+"> (RFC 3501 §9): no controls, spaces, 8-bit, list-wildcards or quoted-specials.
const tagPattern = /^[^\x00-\x20\x7f-\xff(){%*"\\+]+$/;

interface ParsedCommand {
  tag: string;
  name: string;
  isUid: boolean;
  args: Token[];
}

/**
 * Reads commands off a session, one at a time, and runs them through the declared command table: state
 * check, argument parsing, the handler, queued untagged updates (never an EXPUNGE under a sequence-number
 * command), then the tagged completion. Every outcome is rendered here and nowhere else.
 */
export class Dispatcher {
  readonly #framer: ImapFramer;
  #isBusy = false;
  #lineWaiter: ((line: Buffer | null) => void) | null = null;
  #isPushScheduled = false;
  /** Only the first command is checked for an HTTP request line. */
  #isFirstCommand = true;

  constructor(
    readonly session: ImapSession,
    readonly server: ServerContext,
  ) {
    this.#framer = new ImapFramer(server.config.limits.imapLineLength);
    session.setInput((chunk) => this.#onData(chunk));
    session.onClose(() => this.#resolveLine(null));
  }

  start(): void {
    const greet = () => {
      this.session.write(`* OK [CAPABILITY ${capabilities(this.session)}] mailsandbox IMAP4rev1 ready\r\n`);
      return this.session.flush();
    };
    const rule = imapFault(this.server, this.session, ['connect']);
    if (!rule) return void greet();
    // Commands that arrive meanwhile wait: the dispatcher is busy until the greeting (or the fault) is done.
    this.#isBusy = true;
    void runImapFault(this.session, rule, '*', greet, true).finally(() => {
      this.#isBusy = false;
      void this.#pump();
    });
  }

  /** The next raw client line, for AUTHENTICATE and IDLE continuations; null when the connection closed. */
  readLine(): Promise<Buffer | null> {
    if (this.session.isClosed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#lineWaiter = resolve;
      this.#deliverLine();
    });
  }

  /** Called when the selected folder changed: inside IDLE the client hears of it at once. */
  onViewUpdate(): void {
    if (this.session.view?.isUidValidityChanged) {
      void this.session.close('UIDVALIDITY changed, please reconnect');
      return;
    }
    if (!this.session.isIdling || this.#isPushScheduled) return;
    this.#isPushScheduled = true;
    // Batched: one store operation (an EXPUNGE of 100 messages) emits many events synchronously.
    queueMicrotask(() => {
      this.#isPushScheduled = false;
      if (this.session.isIdling) void this.flushUpdates(true).then(() => this.session.flush());
    });
  }

  /** Writes the selected folder's queued updates as untagged responses. */
  async flushUpdates(allowExpunge: boolean): Promise<void> {
    const view = this.session.view;
    if (!view) return;
    // Written in one go: an IDLE push must not interleave with the tagged completion that follows DONE.
    for (const line of view.takeUpdates(allowExpunge)) this.session.write(`* ${line}\r\n`);
    await this.session.flush();
    if (view.isFolderGone) await this.session.close('Selected folder was deleted');
  }

  #onData(chunk: Buffer): void {
    this.#framer.push(chunk);
    if (this.#isBusy && this.#framer.bufferedBytes > inputHighWater) this.session.pauseInput();
    if (this.#lineWaiter) this.#deliverLine();
    else void this.#pump();
  }

  #deliverLine(): void {
    if (!this.#lineWaiter) return;
    const line = this.#framer.nextLine();
    if (line === null) return;
    this.session.touch();
    // An over-long continuation line reads as empty: no handler accepts it.
    this.#resolveLine(line === 'too-long' ? Buffer.alloc(0) : line);
  }

  #resolveLine(line: Buffer | null): void {
    const waiter = this.#lineWaiter;
    this.#lineWaiter = null;
    waiter?.(line);
  }

  async #pump(): Promise<void> {
    if (this.#isBusy) return;
    this.#isBusy = true;
    try {
      while (!this.session.isClosed) {
        const ev = this.#framer.next();
        if (!ev) break;
        await this.#handle(ev);
      }
    } catch (err) {
      this.server.logger.error('imap session failed', { session: this.session.log.id, error: err });
      await this.session.close('Internal server error');
    } finally {
      this.#isBusy = false;
      this.session.resumeInput();
    }
  }

  async #handle(ev: FramerEvent): Promise<void> {
    this.session.touch();
    if (this.#isFirstCommand) {
      this.#isFirstCommand = false;
      const head = ev.kind === 'frame' ? ev.frame.segments[0] : ev.head;
      if (isHttpRequestLine(head.toString('latin1').replace(/\r?\n$/, ''))) return this.#refuseHttp(head);
    }
    switch (ev.kind) {
      case 'frame':
        return this.#runFrame(ev.frame);
      case 'literal':
        return this.#onLiteral(ev.size, ev.isNonSync, ev.isBinary, ev.head);
      case 'too-long': {
        const tag = tagOf(ev.head);
        this.session.log.line('C', `${redactedHead(ev.head, 80)} [line over ${this.server.config.limits.imapLineLength} bytes]`);
        return this.#complete(tag, bad('Command line too long'));
      }
    }
  }

  /** A web page's fetch() to this port: closed before any of its body can run as commands (SPEC §10). */
  async #refuseHttp(head: Buffer): Promise<void> {
    this.#framer.reset();
    this.session.log.line('C', sanitizeText(head.toString('utf8'), 200));
    await this.session.close('This is an IMAP server, not an HTTP server');
  }

  /** `{n}` gets `+` only once the command, state and size are acceptable; otherwise the client never sends it. */
  async #onLiteral(size: number, isNonSync: boolean, isBinary: boolean, head: Buffer): Promise<void> {
    const tag = tagOf(head);
    const refusal = this.#literalRefusal(head, size + this.#framer.literalBytes, isBinary && !isNonSync);
    if (refusal) {
      if (isNonSync) {
        // LITERAL+: the bytes are already on their way and can't be told apart from commands.
        this.#framer.reset();
        this.session.log.line('C', redactedHead(head, 80));
        await this.session.close(`${refusal.message}; non-synchronizing literal refused`);
        return;
      }
      this.#framer.rejectLiteral();
      this.session.log.line('C', redactedHead(head, 200));
      return this.#complete(tag, refusal);
    }
    this.#framer.acceptLiteral(size);
    if (!isNonSync) {
      this.session.write('+ Ready for literal data\r\n');
      await this.session.flush();
    }
  }

  /**
   * Why a literal can't be taken, or null. A synchronizing literal8 outside APPEND is BAD before its bytes come
   * (RFC 3516 §4.3); a non-synchronizing one is read (within the limit) and then refused by the argument parser.
   */
  #literalRefusal(head: Buffer, total: number, isSyncBinary: boolean): ImapError | null {
    const m = /^(\S+) +(UID +)?([A-Za-z]+)/.exec(head.toString('latin1'));
    if (!m || !tagPattern.test(m[1])) return bad('Invalid tag');
    const spec = commands.get((m[2] ? 'UID ' : '') + m[3].toUpperCase());
    if (!spec) return bad('Unknown command');
    if (!spec.states.includes(this.session.state)) return bad(`Command not allowed in the ${this.session.state} state`);
    if (isSyncBinary && !spec.takesMessageLiteral) return bad('A literal8 (~{n}) is only allowed for APPEND message data');
    const limits = this.server.config;
    const max = spec.takesMessageLiteral ? limits.maxMessageSize : limits.limits.imapLiteralSize;
    if (total > max) {
      const refusal = no(`Literal over the limit of ${max} bytes`, 'TOOBIG');
      // A message refused before its bytes are sent still counts in /metrics, as SMTP's 552 does.
      if (spec.takesMessageLiteral) this.server.signals.messageRejected('imap', appendRejectionReason(refusal));
      return refusal;
    }
    return null;
  }

  async #runFrame(frame: Frame): Promise<void> {
    let parsed: ParsedCommand;
    try {
      parsed = parseCommand(tokenize(frame));
    } catch (err) {
      if (!(err instanceof ImapSyntaxError || err instanceof ImapError)) throw err;
      this.session.log.line('C', redactedHead(Buffer.from(transcriptOf(frame)), 300));
      return this.#complete(tagOf(frame.segments[0]), bad(err.message));
    }
    const spec = commands.get(parsed.name);
    this.session.log.line('C', spec?.secretArgsFrom !== undefined ? redacted(parsed, spec.secretArgsFrom) : transcriptOf(frame));
    if (!spec) return this.#complete(parsed.tag, bad(`Unknown command ${parsed.name}`));
    if (!spec.takesMessageLiteral && hasLiteral8(parsed.args)) return this.#complete(parsed.tag, bad('A literal8 (~{n}) is only allowed for APPEND message data'));
    if (!spec.states.includes(this.session.state)) {
      const err = this.session.state === 'not-authenticated' ? bad('Log in first') : bad(`${parsed.name} is not allowed in the ${this.session.state} state`);
      return this.#complete(parsed.tag, err);
    }
    const ctx: CommandContext = { ...parsed, session: this.session, server: this.server, enabled: this.session.enabled, readLine: () => this.readLine(),
      flushUpdates: (allowExpunge) => this.flushUpdates(allowExpunge),
      onViewUpdate: () => this.onViewUpdate(),
      discardInput: () => this.#framer.reset(),
    };
    const execute = async (): Promise<void> => {
      const result = await this.#run(spec, ctx, parsed.args);
      if (spec.takesMessageLiteral && result instanceof ImapError) this.server.signals.messageRejected('imap', appendRejectionReason(result));
      if (!this.session.isClosed) await this.flushUpdates(!(spec.usesSequenceNumbers && !parsed.isUid));
      await this.#complete(parsed.tag, result);
    };
    const rule = imapFault(this.server, this.session, faultNames(parsed.name), () => faultFacts(this.session, parsed));
    return rule ? runImapFault(this.session, rule, parsed.tag, execute) : execute();
  }

  async #run(spec: CommandSpec, ctx: CommandContext, args: Token[]): Promise<CommandResult | ImapError> {
    try {
      const parsed = spec.parseArgs(args, ctx);
      // Commands that change the store run with its write lock where several nodes share it (PostgreSQL), so UIDs
      // and flags are decided on the newest state; reads (and IDLE, which waits on the client) run without it.
      const result = changesStore(ctx.name, args) ? await this.server.store.exclusive(() => spec.run(ctx, parsed)) : await spec.run(ctx, parsed);
      // APPEND, STORE, COPY, EXPUNGE...: the tagged answer only once the store has the change for good.
      await this.server.store.durable();
      return result;
    } catch (err) {
      if (err instanceof ImapError) return err;
      // A store refusal not caught by the handler (a limit reached at login, APPEND or COPY): `NO [CODE]`.
      if (err instanceof StoreError) return no(err.message, storeErrorCode(err));
      this.server.logger.error('imap command failed', { session: this.session.log.id, command: ctx.name, error: err });
      return no('Internal server error', 'SERVERBUG');
    }
  }

  /** Writes the tagged completion; BAD counts towards the bad-command limit. */
  async #complete(tag: string, result: CommandResult | ImapError): Promise<void> {
    const session = this.session;
    if (session.isClosed) return;
    const status = result instanceof ImapError ? result.status : 'OK';
    const code = result instanceof ImapError ? result.code : result.code;
    const text = sanitizeText(result instanceof ImapError ? result.message : result.text);
    session.write(`${tag} ${status} ${code ? `[${code}] ` : ''}${text}\r\n`);
    await session.flush();
    // Restarted at completion too, so a login's longer idle time applies from there.
    if (!session.isClosed) session.touch();
    const { limits } = this.server.config;
    // Before login only a few: a browser's POST to this port must never get to a command (SPEC §10).
    const maxBad = session.state === 'not-authenticated' ? limits.preLoginBadCommands : limits.imapBadCommands;
    if (status === 'BAD' && ++session.badCommands >= maxBad) {
      await session.close('Too many bad commands');
      return;
    }
    if (!(result instanceof ImapError) && result.after) await result.after();
  }
}

/** A command's names for fault rules: `UID FETCH` also answers to `FETCH`, LOGIN and AUTHENTICATE to `auth`. */
function faultNames(name: string): string[] {
  const names = [name];
  if (name.startsWith('UID ')) names.push(name.slice(4));
  if (name === 'LOGIN' || name === 'AUTHENTICATE') names.push('auth');
  return names;
}

/** Commands whose first argument is a mailbox name (a rule's `match.mailbox` is tested against it). */
const mailboxCommands = new Set(['SELECT', 'EXAMINE', 'STATUS', 'APPEND', 'CREATE', 'DELETE', 'RENAME', 'SUBSCRIBE', 'UNSUBSCRIBE']);

function faultFacts(session: ImapSession, cmd: ParsedCommand): { user?: string; mailbox?: string } {
  const first = cmd.args[0];
  const firstText = first && (first.type === 'atom' ? first.value : first.type === 'string' || first.type === 'literal' ? first.value.toString('utf8') : undefined);
  const user = session.user ?? (cmd.name === 'LOGIN' ? firstText : undefined);
  const mailbox = mailboxCommands.has(cmd.name) ? firstText : session.view?.folder.name;
  return { user, mailbox };
}

function parseCommand(tokens: Token[]): ParsedCommand {
  const [tagToken, nameToken] = tokens;
  if (tagToken?.type !== 'atom' || tagToken.section || !tagPattern.test(tagToken.value)) {
    throw new ImapSyntaxError('Invalid tag');
  }
  const tag = tagToken.value;
  if (nameToken?.type !== 'atom') throw new ImapError('BAD', null, 'Missing command');
  let name = nameToken.value.toUpperCase();
  let args = tokens.slice(2);
  if (name === 'UID') {
    const sub = tokens[2];
    if (sub?.type !== 'atom') throw new ImapError('BAD', null, 'Missing command after UID');
    name = `UID ${sub.value.toUpperCase()}`;
    args = tokens.slice(3);
  }
  return { tag, name, isUid: name.startsWith('UID '), args };
}

/** RFC 3516 §4.3: a literal8 is APPEND data; any other command carrying one (`~{n+}` got past the framer) is BAD. */
function hasLiteral8(tokens: readonly Token[]): boolean {
  return tokens.some((t) => (t.type === 'literal' && t.isBinary === true) || (t.type === 'list' && hasLiteral8(t.items)));
}

/** The tag of a line that couldn't be parsed, or `*` when it has none (RFC 3501 §7.1.5). */
function tagOf(head: Buffer): string {
  const m = /^(\S+) /.exec(head.toString('latin1'));
  return m && tagPattern.test(m[1]) ? m[1] : '*';
}

/** The command as the transcript shows it: literals replaced by their size. */
function transcriptOf(frame: Frame): string {
  return frame.segments
    .map((s, i) => {
      const text = s.toString('utf8');
      return i < frame.literals.length ? text.replace(/\{(\d+)\+?\}$/, `{${frame.literals[i].length} bytes}`) : text;
    })
    .join('');
}

/**
 * A line that could not be parsed, for the transcript: a LOGIN or AUTHENTICATE one keeps only its tag and command,
 * since a password may be anywhere in it.
 */
function redactedHead(head: Buffer, max: number): string {
  const text = sanitizeText(head.toString('utf8'), max);
  // Anywhere in the line, not only after a well-formed tag: ` a LOGIN u p` or `a\tLOGIN u p` is refused too.
  const m = /^.*?\b(LOGIN|AUTHENTICATE)\b/i.exec(text);
  return m ? `${m[0]} ***` : text;
}

function redacted(cmd: ParsedCommand, from: number): string {
  const shown = cmd.args.slice(0, from).map((t) => (t.type === 'atom' ? t.value : t.type === 'list' ? '(...)' : t.type === 'nil' ? 'NIL' : JSON.stringify(t.value.toString('utf8'))));
  return sanitizeText([cmd.tag, cmd.name, ...shown, ...(cmd.args.length > from ? ['***'] : [])].join(' '), 300);
}

/** A store refusal's IMAP response code (RFC 5530): a full disk is OVERQUOTA, an invalid name CANNOT. */
/** Commands that may change the store (LOGIN and SELECT create a first-time user's mailbox). */
const storeChanging = new Set(['LOGIN', 'SELECT', 'EXAMINE', 'CLOSE', 'EXPUNGE', 'UID EXPUNGE', 'STORE', 'UID STORE', 'COPY', 'UID COPY', 'MOVE', 'UID MOVE', 'APPEND', 'CREATE', 'DELETE', 'RENAME', 'SUBSCRIBE', 'UNSUBSCRIBE']);

/** Whether a command may change the store; a FETCH only when it may set \Seen (a body section without PEEK). */
function changesStore(name: string, args: Token[]): boolean {
  if (storeChanging.has(name)) return true;
  if (name !== 'FETCH' && name !== 'UID FETCH') return false;
  return /BODY(?!\.PEEK|STRUCTURE)|RFC822(?!\.HEADER|\.SIZE)/i.test(JSON.stringify(args));
}

export function storeErrorCode(err: StoreError): string {
  return err.code === 'INVALID' ? 'CANNOT' : err.code === 'FULL' ? 'OVERQUOTA' : err.code;
}
