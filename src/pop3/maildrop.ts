import type { Folder, Placement } from '../store/types.js';
import { Pop3Error } from './responses.js';

/** One message of the snapshot: its number never changes for the life of the session (RFC 1939 §5). */
export interface MaildropEntry {
  readonly n: number;
  readonly placement: Placement;
  /** The raw byte length: what LIST/STAT report and RETR sends before dot-stuffing. */
  readonly size: number;
  readonly uidl: string;
}

/**
 * The maildrop of one POP3 session: the INBOX placements as they were at login, numbered from 1, with the
 * DELE marks. Every command that takes a message number goes through {@link Maildrop.resolve}, so LIST, RETR,
 * TOP, DELE and UIDL can never disagree about what a number means after a DELE.
 *
 * The entries hold the placements, and through them the `StoredMessage` and its `raw` Buffer, so a message
 * deleted meanwhile by IMAP or the API stays readable here (SPEC §4).
 */
export class Maildrop {
  readonly #entries: MaildropEntry[];
  readonly #deleted = new Set<number>();
  readonly #retrieved = new Set<number>();
  #octets = 0;

  constructor(folder: Folder) {
    this.#entries = folder.placements.map((placement, i) => ({
      n: i + 1,
      placement,
      size: placement.message.size,
      uidl: formatUidl(folder.uidValidity, placement.uid),
    }));
    for (const e of this.#entries) this.#octets += e.size;
  }

  /** Messages not marked deleted. */
  get count(): number {
    return this.#entries.length - this.#deleted.size;
  }

  /** Octets of the messages not marked deleted. */
  get octets(): number {
    return this.#octets;
  }

  get deletedCount(): number {
    return this.#deleted.size;
  }

  /** The entries not marked deleted, in number order. */
  live(): MaildropEntry[] {
    return this.#entries.filter((e) => !this.#deleted.has(e.n));
  }

  /** The one message-number rule: digits only, in range, not marked deleted. */
  resolve(arg: string): MaildropEntry {
    const n = parseMessageNumber(arg);
    const entry = n >= 1 && n <= this.#entries.length ? this.#entries[n - 1] : undefined;
    if (!entry) throw new Pop3Error('No such message', undefined, false);
    if (this.#deleted.has(n)) throw new Pop3Error(`Message ${n} already deleted`, undefined, false);
    return entry;
  }

  markDeleted(entry: MaildropEntry): void {
    if (this.#deleted.has(entry.n)) return;
    this.#deleted.add(entry.n);
    this.#octets -= entry.size;
  }

  markRetrieved(entry: MaildropEntry): void {
    this.#retrieved.add(entry.n);
  }

  /** RSET: unmarks every deletion. */
  reset(): void {
    for (const n of this.#deleted) this.#octets += this.#entries[n - 1].size;
    this.#deleted.clear();
  }

  /** What QUIT commits in the UPDATE state. */
  deletions(): Placement[] {
    return [...this.#deleted].sort((a, b) => a - b).map((n) => this.#entries[n - 1].placement);
  }

  /** Placements RETR'd and not deleted: they get `\Seen` at QUIT. */
  retrievedKept(): Placement[] {
    return [...this.#retrieved].filter((n) => !this.#deleted.has(n)).map((n) => this.#entries[n - 1].placement);
  }
}

/**
 * A decimal message number. Anything but 1-10 digits is a syntax error rather than "no such message",
 * so `RETR abc` and `RETR -1` read differently from `RETR 99` in the transcript; 10 digits bounds the value
 * well inside a safe integer.
 */
export function parseMessageNumber(arg: string): number {
  if (!/^\d{1,10}$/.test(arg)) throw new Pop3Error('Invalid message number');
  return Number(arg);
}

/**
 * UIDLs are `<uidValidity>.<uid>` of the INBOX placement: stable across sessions (UIDs never change) and
 * unique per mailbox (UIDs are never reused within a UIDVALIDITY). All digits and a dot, so well inside
 * the 0x21-0x7E, 1-70 octet rule of RFC 1939 §7.
 */
export function formatUidl(uidValidity: number, uid: number): string {
  return `${uidValidity}.${uid}`;
}
