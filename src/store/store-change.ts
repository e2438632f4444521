import type { ConnectionInfo, Envelope, HeaderSummary, MessageSource, RelayRecord, SpecialUse } from './types.js';
import type { CompactTranscript } from './transcript.js';
import type { DeleteReason } from './events.js';
import type { FaultRule } from './fault-rule.js';

/**
 * The typed change records of the storage seam (SPEC §11). Every mutation of the store is first turned into one of
 * these — with every value decided (ids, seqs, UIDs, UIDVALIDITYs, resulting flags), so applying a record is
 * deterministic and needs nothing but the model it is applied to — then handed to the backend, then applied to the
 * in-memory model, which emits the events.
 *
 * The records are a log: a backend that keeps changes in order (SQLite rows, a PostgreSQL log table) can replay them
 * onto an empty model and reach the same state; `MessageStore.applyChange()` is that replay. Fields are JSON-friendly
 * except `raw` (a Buffer) and the Dates.
 */
export type StoreChange =
  | CreateMailboxChange
  | DeleteMailboxChange
  | CreateFolderChange
  | DeleteFolderChange
  | RenameFolderChange
  | SubscribeChange
  | DeliverChange
  | CopyChange
  | SetFlagsChange
  | RemovePlacementsChange
  | DeleteMessageChange
  | ClearChange
  | SetTagsChange
  | RecordRelayChange
  | RenewUidValidityChange
  | AddFaultRuleChange
  | RemoveFaultRulesChange
  | FaultHitChange;

/** A folder as created: name, UIDVALIDITY, SPECIAL-USE, subscription. */
export interface FolderRecord {
  name: string;
  uidValidity: number;
  specialUse?: SpecialUse;
  subscribed: boolean;
}

/** A new mailbox with its default folders. */
export interface CreateMailboxChange {
  kind: 'createMailbox';
  address: string;
  createdAt: Date;
  folders: FolderRecord[];
}

/** Drops a mailbox. Its placements were removed by a `removePlacements` record just before. */
export interface DeleteMailboxChange {
  kind: 'deleteMailbox';
  address: string;
}

export interface CreateFolderChange {
  kind: 'createFolder';
  mailbox: string;
  folder: FolderRecord;
}

/** Drops a folder. Its placements were removed by a `removePlacements` record just before. */
export interface DeleteFolderChange {
  kind: 'deleteFolder';
  mailbox: string;
  name: string;
}

/** Renames a folder and its children (`from/...` → `to/...`). Renaming INBOX is recorded as create + copy + remove. */
export interface RenameFolderChange {
  kind: 'renameFolder';
  mailbox: string;
  from: string;
  to: string;
}

export interface SubscribeChange {
  kind: 'subscribe';
  mailbox: string;
  name: string;
  subscribed: boolean;
}

/** Where a placement is: the triple that names it across restarts. */
export interface PlacementKey {
  mailbox: string;
  folder: string;
  uid: number;
}

/** A new placement with its UID (decided by the store: the folder's UIDNEXT at the time). */
export interface PlacementRecord extends PlacementKey {
  flags: string[];
  internalDate: Date;
}

/** Everything stored about a message, besides its placements. */
export interface MessageRecord {
  id: string;
  seq: number;
  raw: Buffer;
  receivedAt: Date;
  envelope: Envelope;
  source: MessageSource;
  connection: ConnectionInfo;
  /**
   * Absent in a record the in-memory store makes (its message summarizes its own bytes on first read); a store
   * with a backend that keeps records (SQLite, PostgreSQL) always fills it in.
   */
  summary?: HeaderSummary;
  transcript?: CompactTranscript;
  /**
   * Absent in a record the in-memory store makes for a message given no tags: its message finds its arrival tags
   * (X-Tags, plus-addressed recipients) in its own bytes on first read. SQLite's records always have them.
   */
  tags?: readonly string[];
}

/** A new message and its placements (mailboxes it needs were created by `createMailbox` records just before). */
export interface DeliverChange {
  kind: 'deliver';
  message: MessageRecord;
  placements: PlacementRecord[];
}

/** IMAP COPY (and MOVE's first half; INBOX rename): new placements of existing messages. */
export interface CopyChange {
  kind: 'copy';
  placements: Array<PlacementRecord & { messageId: string }>;
}

/** The resulting flags of each changed placement (not the operation): replaying is idempotent. */
export interface SetFlagsChange {
  kind: 'setFlags';
  placements: Array<PlacementKey & { flags: string[] }>;
}

/**
 * IMAP EXPUNGE, POP3 commit, MOVE's second half, folder and mailbox deletion: placements leave their folders;
 * `forgotten` lists the messages left with no placement, which are deleted with them.
 */
export interface RemovePlacementsChange {
  kind: 'removePlacements';
  placements: PlacementKey[];
  forgotten: string[];
}

/** A message deleted outright (HTTP DELETE, retention): every placement goes with it. */
export interface DeleteMessageChange {
  kind: 'deleteMessage';
  id: string;
  reason: DeleteReason;
}

/** Every message deleted; mailboxes and folders (with their UIDNEXT) stay. */
export interface ClearChange {
  kind: 'clear';
}

export interface SetTagsChange {
  kind: 'setTags';
  id: string;
  tags: string[];
}

export interface RecordRelayChange {
  kind: 'recordRelay';
  id: string;
  record: RelayRecord;
}

/** A folder's new UIDVALIDITY; its placements are renumbered 1..n in their current order, UIDNEXT = n + 1. */
export interface RenewUidValidityChange {
  kind: 'renewUidValidity';
  mailbox: string;
  folder: string;
  uidValidity: number;
}

/**
 * Fault rules (SPEC §13) are store state too: a durable store keeps them, a shared one replays them on every node.
 * The three records only touch the rule set and commute with each other for different rules, so a backend may write
 * them in an order of its own (PostgreSQL: outside the section that decides mail).
 */
export interface AddFaultRuleChange {
  kind: 'addFaultRule';
  /** Every field decided (id, seed, createdAt); `hits: 0`. */
  rule: FaultRule;
}

/** Removes the listed rules (one for DELETE /faults/:id; every rule known then for a clear: a rule added elsewhere meanwhile stays). */
export interface RemoveFaultRulesChange {
  kind: 'removeFaultRules';
  ids: string[];
  /** A clear (`DELETE /api/v1/faults`). */
  all: boolean;
}

/** A rule fired once: its `hits` grow by one (and a `times` rule without `per` is spent at `times`). */
export interface FaultHitChange {
  kind: 'faultHit';
  id: string;
}

export type FaultChange = AddFaultRuleChange | RemoveFaultRulesChange | FaultHitChange;

export function isFaultChange(change: StoreChange): change is FaultChange {
  return change.kind === 'addFaultRule' || change.kind === 'removeFaultRules' || change.kind === 'faultHit';
}

/** Pass-through for exhaustive switches over `StoreChange['kind']`. */
export function assertNever(x: never): never {
  throw new Error(`Unknown store change ${JSON.stringify(x)}`);
}
