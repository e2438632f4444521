import type { ServerContext } from '../../shared/server-context.js';
import type { Maildrop } from '../maildrop.js';
import type { Reply } from '../responses.js';

/** RFC 1939 §3 states. `update` is entered by QUIT from TRANSACTION, for the commit only. */
export type Pop3State = 'authorization' | 'transaction' | 'update';

/** What a command may see and do to its session; handlers get it explicitly, never through `this`. */
export interface SessionControl {
  readonly ctx: ServerContext;
  readonly id: string;
  readonly state: Pop3State;
  readonly isTls: boolean;
  /** True on the plain listener before TLS: STLS is offered. */
  readonly canStartTls: boolean;
  /** `--starttls required` and not yet encrypted: logins are refused until STLS. */
  readonly isTlsRequired: boolean;
  /** The `<pid.clock@host>` of the greeting, the APOP salt (RFC 1939 §7). */
  readonly apopTimestamp: string;
  /** The name given by USER, waiting for PASS. */
  pendingUser: string | null;
  /** The snapshot; only in TRANSACTION (the dispatcher guarantees it). */
  readonly maildrop: Maildrop;
  /** Locks and snapshots the mailbox of a user whose credentials were checked; enters TRANSACTION. */
  openMaildrop(user: string): Reply;
  /** QUIT from TRANSACTION: UPDATE state, commit the deletions, release the lock. */
  commitAndQuit(): Reply;
}

export interface CommandSpec {
  /** States the command is legal in; the dispatcher answers `-ERR` elsewhere. */
  readonly states: readonly Pop3State[];
  /** Allowed argument counts [min, max]. `rest` takes everything after the keyword as one argument (PASS). */
  readonly args: readonly [number, number] | 'rest';
  /** How the arguments look in the session transcript (secrets redacted). Default: as sent. */
  readonly redact?: (args: readonly string[]) => string;
  /** Usage for the syntax error answer. */
  readonly usage: string;
  run(session: SessionControl, args: readonly string[]): Reply;
}

export function defineCommand(spec: CommandSpec): CommandSpec {
  return spec;
}
