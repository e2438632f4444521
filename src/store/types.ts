import type { CompactTranscript } from './transcript.js';
import type { VanishedLog } from './modseq.js';

/** A parsed address: `name` is '' when the header had none. */
export interface Address {
  name: string;
  address: string;
}

export type MessageSource = 'smtp' | 'imap' | 'api';

export interface Envelope {
  /** MAIL FROM; '' for the null sender `<>`. */
  mailFrom: string;
  /** RCPT TO, in the order given (Bcc recipients included). */
  rcptTo: string[];
}

/** Who handed the message over. */
export interface ConnectionInfo {
  remoteAddress?: string;
  heloName?: string;
  tls: boolean;
  authUser?: string;
  /** The protocol session id (`GET /api/v1/sessions/:id`). */
  sessionId?: string;
}

/** Header facts taken cheaply at ingest (no MIME parse); what lists and queries need. */
export interface HeaderSummary {
  messageId: string;
  from: Address | null;
  to: Address[];
  cc: Address[];
  subject: string;
  /** The Date header, or null when absent or unparseable. */
  date: Date | null;
  hasAttachments: boolean;
}

/** One line of a protocol transcript. */
export interface TranscriptLine {
  /** ms since epoch. */
  at: number;
  /** `C` client, `S` server, `*` a note (TLS started, connection closed, ...). */
  dir: 'C' | 'S' | '*';
  line: string;
}

/** A message as accepted: the exact bytes and what is known about them. Never mutated except `flags` via the store. */
export interface StoredMessage {
  readonly id: string;
  /** Ingest order, strictly ascending; used for `since` and ordering. */
  readonly seq: number;
  /** The exact bytes accepted (CRLF line endings, after SMTP dot-unstuffing). */
  readonly raw: Buffer;
  readonly receivedAt: Date;
  readonly size: number;
  readonly envelope: Envelope;
  readonly source: MessageSource;
  readonly connection: ConnectionInfo;
  readonly summary: HeaderSummary;
  /** The SMTP transcript of the session that delivered it (SMTP only). */
  readonly transcript?: CompactTranscript;
  /** Labels (SPEC §15): set at arrival from `X-Tags` and plus-addressing; replaced only through `store.setTags()`. */
  tags: readonly string[];
  /** Each release of this message to a real relay, oldest first; appended only through `store.recordRelay()`. */
  relays: readonly RelayRecord[];
}

/** One release of a message to the configured relay (SPEC §15): where, when, to whom, and what the relay said. */
export interface RelayRecord {
  /** ISO time the relay answered. */
  readonly at: string;
  /** Envelope recipients sent to the relay. */
  readonly to: readonly string[];
  /** The relay, as `smtp://host:port` (no credentials). */
  readonly relay: string;
  /** The relay's own reply (the final `250 ...`, or the refusal). */
  readonly reply: string;
  readonly ok: boolean;
}

/** A message's place in one folder of one mailbox; each has its own UID and flags. */
export interface Placement {
  readonly message: StoredMessage;
  /** Lower-cased mailbox address. */
  readonly mailbox: string;
  /** The folder this placement is in; changes only through the store (RENAME). */
  folder: Folder;
  readonly uid: number;
  /**
   * IMAP flags, e.g. `\Seen`, `\Flagged`, `$Label1`. Mutated only by the store (`setFlags`): placements without
   * flags share one empty set, which throws if changed directly.
   */
  readonly flags: Set<string>;
  /** IMAP INTERNALDATE. */
  readonly internalDate: Date;
  /** `\Recent`: true until the first IMAP session that selects the folder claims it. */
  recent: boolean;
  /** MODSEQ (RFC 7162): the folder's HIGHESTMODSEQ when this placement last changed. Set only by the store (modseq.ts). */
  modseq: number;
}

/** RFC 6154 special-use attributes (CREATE-SPECIAL-USE may set any of them). */
export type SpecialUse = '\\All' | '\\Archive' | '\\Drafts' | '\\Flagged' | '\\Junk' | '\\Sent' | '\\Trash';

export interface Folder {
  /** Full name with `/` as the hierarchy delimiter, e.g. `INBOX`, `Work/2024`. */
  name: string;
  readonly mailbox: string;
  readonly uidValidity: number;
  uidNext: number;
  readonly specialUse?: SpecialUse;
  subscribed: boolean;
  /** Placements in ascending UID order. Read-only to everything but the store. */
  readonly placements: Placement[];
  /** HIGHESTMODSEQ (RFC 7162): raised by every change in the folder, through `nextModseq` only. */
  highestModseq: number;
  /** Expunged UIDs with their MODSEQ, for QRESYNC (bounded; see modseq.ts). */
  vanished: VanishedLog;
}

export interface Mailbox {
  /** Lower-cased address. */
  readonly address: string;
  readonly createdAt: Date;
  /** Folders by name. `INBOX` is stored as `INBOX` whatever case it was asked for in. */
  readonly folders: Map<string, Folder>;
  /** The POP3 session holding the maildrop lock (RFC 1939 §8), or null. */
  pop3LockedBy: string | null;
  /** What counts against the quota (RFC 9208): placements in all folders and their bytes. Kept by the store. */
  usage: { messages: number; bytes: number };
  /**
   * Subscribed names with no folder (RFC 3501 §6.3.6, RFC 5258 `\NonExistent`): a subscription outlives DELETE, as
   * in Dovecot, and a folder created again under the name is subscribed again. Existing folders keep the flag.
   */
  readonly lostSubscriptions: Set<string>;
}

/** What `deliver()` needs; the store fills id, seq, size, summary. */
export interface DeliveryInput {
  raw: Buffer;
  envelope: Envelope;
  source: MessageSource;
  connection?: ConnectionInfo;
  transcript?: CompactTranscript;
  /**
   * A pre-chosen id (SMTP names it in its `250 queued as <id>` reply, which is part of the transcript handed in here).
   * Must be unused and URL-safe; default: a random id.
   */
  id?: string;
  /** Defaults to every `envelope.rcptTo` address's INBOX. */
  targets?: Array<{ mailbox: string; folder?: string; flags?: string[]; internalDate?: Date }>;
  receivedAt?: Date;
  /** Tags to start with; default: those of `X-Tags` and plus-addressed recipients. */
  tags?: readonly string[];
}

/** The `seen` rule of SPEC §4: read when any placement is `\Seen`. */
export function isSeen(placements: readonly Placement[]): boolean {
  return placements.some((p) => p.flags.has('\\Seen'));
}

/**
 * The flag set of a placement without flags, shared by all of them: an empty Set costs ~150 bytes, as much as the rest
 * of the placement, and almost every message arrives without flags. The store gives a placement its own Set before
 * changing its flags; a change from anywhere else would change every unflagged placement at once, so it throws.
 */
export class NoFlags extends Set<string> {
  override add(flag: string): this {
    throw new Error(`Flags are changed through the store (setFlags), not on the set: cannot add ${flag}`);
  }

  override delete(): boolean {
    throw new Error('Flags are changed through the store (setFlags), not on the set');
  }

  override clear(): void {
    throw new Error('Flags are changed through the store (setFlags), not on the set');
  }
}

export type FlagMode = 'set' | 'add' | 'remove';

/** Why a store operation was refused; protocols map `code` to their own answers. */
export class StoreError extends Error {
  constructor(
    readonly code: 'NONEXISTENT' | 'ALREADYEXISTS' | 'CANNOT' | 'TOOBIG' | 'INVALID' | 'LIMIT' | 'OVERQUOTA' | 'FULL' | 'UNAVAILABLE',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface StoreOptions {
  /** Retention cap (messages, not placements); 0 = unlimited. */
  maxMessages: number;
  // The bounds below are optional so a bare store (unit tests) is unbounded; the sandbox's config always sets them.
  /** Byte budget of the messages' raw bytes; oldest evicted first; 0 or absent = unlimited. */
  maxSize?: number;
  /** Placements in one folder. */
  maxFolderMessages?: number;
  /** Folders in one mailbox. */
  maxFolders?: number;
  /** Mailboxes in the store. */
  maxMailboxes?: number;
  /** Quota (RFC 9208) per mailbox: messages across its folders; 0 or absent = none. */
  quotaMessages?: number;
  /** Quota per mailbox: bytes of its messages across its folders; 0 or absent = none. */
  quotaSize?: number;
}

export interface StoreStats {
  messages: number;
  mailboxes: number;
  /** Messages accepted since start. */
  received: number;
  /** Messages removed by retention since start (the sum of `evictedBy`). */
  evicted: number;
  /** Evictions by cause: `--max-messages`, `--max-age` (durable stores only; 0 here), `--max-size`. */
  evictedBy: { maxMessages: number; maxAge: number; maxSize: number };
  /** Bytes of the stored messages, counted against `--max-size`. */
  bytes: number;
}
