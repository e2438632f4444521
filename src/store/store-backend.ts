import type { StoreChange, FolderRecord, MessageRecord, PlacementRecord } from './store-change.js';
import type { RelayRecord } from './types.js';
import type { VanishedLog } from './modseq.js';
import type { FaultRule } from './fault-rule.js';

/** What `GET /api/v1/info` and the UI show: where the mail lives. */
export interface StoreLocation {
  /** `memory` (the default), `sqlite` (`--data-dir`), or another backend's name. */
  kind: string;
  /** The directory or URL holding the data; null in memory. */
  path: string | null;
}

/**
 * Where the store's state lives beyond the in-memory model (SPEC §11). The model (MessageStore) stays what the
 * protocols read synchronously; a backend sees every change record before the model applies it.
 *
 * - `write(change)` persists one change. When it throws, the model does not apply the change and the caller gets the
 *   error (SQLITE_FULL becomes StoreError FULL). It may return a promise (PostgreSQL's commit; SQLite's group commit,
 *   which runs the change at once in the open transaction and commits at the end of the event-loop turn): the model
 *   applies the change at once (the protocols read synchronously) and `MessageStore.durable()` resolves once every
 *   promise so far has resolved, or rejects with the first failure. Changes are handed over strictly in order; a backend must persist them in that order.
 * - `readRaw(id)`, when present, means bodies are not kept in memory: the model's messages read their bytes through
 *   it (the backend keeps its own bounded cache).
 * - `load()` returns the persisted state at open, or null for an empty store.
 */
export interface StoreBackend {
  readonly location: StoreLocation;
  write(change: StoreChange): void | Promise<void>;
  readRaw?(id: string): Buffer;
  /** Called once by the model the backend serves (a backend that batches writes undoes one it could not commit). */
  attachModel?(model: MessageStoreModel): void;
  load?(): StoreSnapshot | null;
  close(): void | Promise<void>;
  /**
   * Several processes sharing one store (PostgreSQL, issue #13): runs `fn` with this process holding the shared write
   * lock and its model caught up, so the changes `fn` makes are decided on the newest state. Absent = run at once.
   */
  exclusive?<T>(fn: () => T | Promise<T>): Promise<T>;
  /** The POP3 maildrop lock across processes; absent = the in-process lock (`pop3LockedBy`) is the whole lock. */
  lockMaildrop?(address: string, owner: string): Promise<boolean>;
  unlockMaildrop?(address: string, owner: string): Promise<void>;
  /** Whether the backend can take writes now (`/healthz` readiness); absent = always. */
  readonly ready?: boolean;
  readonly notReadyReason?: string | null;
}

/** What `attachModel` hands a backend: the model's replay entry and its mailboxes. */
export interface MessageStoreModel {
  applyChange(change: StoreChange): unknown;
  getMailbox(address: string): { folders: Map<string, { placements: unknown[] }> } | undefined;
}

/** A folder as persisted, with its UIDNEXT and its CONDSTORE/QRESYNC state (modseq.ts), kept exactly. */
export interface FolderSnapshot extends FolderRecord {
  uidNext: number;
  highestModseq: number;
  /** Expunged UIDs, oldest first (ascending MODSEQ), and the floor. */
  vanished: VanishedLog;
}

/** A placement as persisted, with its MODSEQ. */
export interface PlacementSnapshot extends PlacementRecord {
  modseq: number;
}

/** What a backend hands the model at open. Placements of a folder may come in any order. */
export interface StoreSnapshot {
  /** The next message seq (greater than any ever handed out). */
  nextSeq: number;
  /** The next UIDVALIDITY (greater than any ever handed out, deleted folders included). */
  nextUidValidity: number;
  mailboxes: Iterable<{ address: string; createdAt: Date; folders: FolderSnapshot[]; lostSubscriptions?: string[] }>;
  /** Oldest first (ascending seq). `raw` may be absent when the backend has `readRaw`; then `size` is required. */
  messages: Iterable<{
    message: Omit<MessageRecord, 'raw'> & { raw?: Buffer; size: number };
    relays: RelayRecord[];
    placements: PlacementSnapshot[];
  }>;
  /** Fault rules as kept (ids, hits and spent as they were), oldest first. */
  faultRules?: FaultRule[];
}

/** The default: nothing outlives the process; every write is a no-op, so the hot path costs one call. */
export class MemoryBackend implements StoreBackend {
  readonly location: StoreLocation = { kind: 'memory', path: null };
  write(): void {}
  close(): void {}
}
