import { bad } from '../imap-error.js';
import type { ServerContext } from '../../shared/server-context.js';
import type { ImapSession, SessionState } from '../session.js';
import type { Token } from '../wire/tokenizer.js';

/** A tagged OK; NO and BAD are thrown as ImapError. */
export interface CommandResult {
  code: string | null;
  text: string;
  /** Runs after the tagged OK is written (STARTTLS handshake, LOGOUT close). */
  after?: () => Promise<void>;
}

export const ok = (text: string, code: string | null = null, after?: () => Promise<void>): CommandResult => ({ code, text, after });

/** What a handler is given: explicit, never a rebound `this`. */
export interface CommandContext {
  readonly tag: string;
  /** Upper-cased, with `UID ` in front for UID variants, e.g. `UID FETCH`. */
  readonly name: string;
  readonly isUid: boolean;
  readonly session: ImapSession;
  readonly server: ServerContext;
  /**
   * Extensions this session turned on (ENABLE: CONDSTORE, QRESYNC, IMAP4rev2...), read live: handlers answer by
   * it (ESEARCH instead of SEARCH and no `\Recent` under IMAP4rev2, MODSEQ under CONDSTORE), never by client name.
   */
  readonly enabled: ReadonlySet<string>;
  /** The next raw client line (AUTHENTICATE response, IDLE `DONE`); null once the connection closed. */
  readLine(): Promise<Buffer | null>;
  /** Writes the selected folder's queued updates now (IDLE start). */
  flushUpdates(allowExpunge: boolean): Promise<void>;
  /** Forgets input received but not yet read (plaintext pipelined after STARTTLS). */
  discardInput(): void;
  /** What a new MailboxView calls when it queues an update (IDLE pushes it). */
  onViewUpdate(): void;
}

export interface CommandSpec<A = unknown> {
  readonly names: readonly string[];
  readonly states: readonly SessionState[];
  /**
   * True for FETCH, STORE, SEARCH and COPY by sequence number: no EXPUNGE may be sent while they run
   * (RFC 3501 §7.4.1), since the client's sequence numbers would shift under it. Their UID forms may.
   */
  readonly usesSequenceNumbers: boolean;
  /** Arguments from this index on are secrets: the transcript shows `***` (LOGIN password, SASL-IR). */
  readonly secretArgsFrom?: number;
  /** Literals up to the message size limit (APPEND) rather than the small literal limit. */
  readonly takesMessageLiteral?: boolean;
  parseArgs(args: readonly Token[], ctx: CommandContext): A;
  run(ctx: CommandContext, args: A): Promise<CommandResult> | CommandResult;
}

export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<A> {
  return spec;
}

export const anyState: readonly SessionState[] = ['not-authenticated', 'authenticated', 'selected'];
export const authenticated: readonly SessionState[] = ['authenticated', 'selected'];
export const selected: readonly SessionState[] = ['selected'];

/** For commands without arguments. */
export function noArgs(args: readonly Token[]): void {
  if (args.length > 0) throw bad('This command takes no arguments');
}
