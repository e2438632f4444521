import { mkdirSync, existsSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { keepNativeObjects } from './native-objects.js';
import type { MessageStoreModel, StoreBackend, StoreLocation, StoreSnapshot, FolderSnapshot, PlacementSnapshot } from '../store-backend.js';
import type { FaultRule } from '../fault-rule.js';
import { assertNever, type FolderRecord, type MessageRecord, type PlacementKey, type PlacementRecord, type StoreChange } from '../store-change.js';
import { StoreError, type Address, type HeaderSummary, type RelayRecord, type SpecialUse } from '../types.js';
import { BodyCache } from './body-cache.js';
import { Checkpointer } from './checkpointer.js';
import { SpaceReclaimer } from './space-reclaimer.js';
import { layoutVersion, migrate, createLayout } from './layout.js';
import { maxVanishedPerFolder, type VanishedLog } from '../modseq.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/** The file inside `--data-dir`. Open it with the `sqlite3` shell to look (read-only while the sandbox runs, please). */
export const databaseFile = 'mailsandbox.db';
/** A second database held in an exclusive lock while a sandbox runs: the lock dies with the process, even on kill -9. */
export const lockFile = 'mailsandbox.lock';

export interface SqliteOptions {
  /**
   * `normal` (default): WAL with synchronous=NORMAL: a commit survives the process crashing (kill -9) at any moment;
   * a power loss or OS crash can lose the last transactions before the WAL was synced (at a checkpoint).
   * `full`: synchronous=FULL: every commit is fsynced before it is acknowledged; slower, survives a power loss too.
   */
  fsync?: 'normal' | 'full';
  /** Bytes of message bodies kept in memory (LRU). Default 64 MiB. */
  bodyCacheBytes?: number;
}

/** A change written in the open transaction, waiting for its commit. */
interface PendingWrite {
  change: StoreChange;
  resolve: () => void;
  reject: (err: unknown) => void;
}

type AttachedModel = MessageStoreModel;

/**
 * A group commit ends early (before the next write) past this many changes or body bytes: a synchronous loop of
 * writes (import, preload) then commits in steps instead of one huge transaction.
 */
const maxBatchChanges = 2000;
const maxBatchBytes = 16 * 1024 * 1024;
/** A commit waits while each turn of the event loop brings more writes, up to this many (see #scheduleFlush). */
const groupCommitTarget = 8;

/**
 * A subscribed name whose folder was deleted (the model's `Mailbox.lostSubscriptions`) is a `meta` row keyed by this
 * prefix and JSON `[mailbox, name]`: additive, no new table or layout step.
 */
const lostSubscriptionPrefix = 'subscription:';
const lostSubscriptionKey = (mailbox: string, name: string): string => lostSubscriptionPrefix + JSON.stringify([mailbox, name]);

/** Why the data directory can't be opened: the CLI prints the message and exits 1. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

const require = createRequire(import.meta.url);

function loadDriver(): typeof BetterSqlite3 {
  try {
    return keepNativeObjects(require('better-sqlite3') as typeof BetterSqlite3);
  } catch (err) {
    throw new DataDirError(`--data-dir needs the better-sqlite3 module, which did not load: ${(err as Error).message}`);
  }
}

/**
 * The durable store (issue #12): SQLite in `--data-dir`. The change records of one event-loop turn (every session's)
 * share one transaction (group commit); each `write()` promise resolves at that commit, and the protocols acknowledge
 * only after it (`MessageStore.durable()`), so everything acknowledged survives kill -9. Bodies live in their own
 * table and are read back through a bounded cache; the rest of the model is rebuilt from the tables at start.
 */
export class SqliteBackend implements StoreBackend {
  readonly location: StoreLocation;
  readonly #db: Database;
  readonly #lock: Database;
  readonly #cache: BodyCache;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #apply: (change: StoreChange) => void;
  readonly #reclaimer: SpaceReclaimer;
  #closed = false;
  /** Writes in the open transaction, settled at its commit. */
  #batch: PendingWrite[] = [];
  #batchBytes = 0;
  #flushQueued = false;
  #model: AttachedModel | null = null;
  /** Read at open (a damaged file fails there, with a DataDirError); handed over once by `load()`. */
  #snapshot: StoreSnapshot | null = null;
  readonly #checkpointer: Checkpointer | null;

  private constructor(dir: string, db: Database, lock: Database, options: SqliteOptions) {
    this.location = { kind: 'sqlite', path: dir };
    this.#db = db;
    this.#lock = lock;
    this.#reclaimer = new SpaceReclaimer(db);
    this.#cache = new BodyCache(options.bodyCacheBytes ?? 64 * 1024 * 1024);
    this.#statements = prepare(db);
    this.#apply = db.transaction((change: StoreChange) => this.#write(change));
    this.#checkpointer = new Checkpointer(require.resolve('better-sqlite3'), join(dir, databaseFile));
  }

  /**
   * Opens (or creates) the store in `dir`: takes the lock, checks the layout version (newer: refuse; older: migrate),
   * and checks the file is a healthy database. Throws DataDirError with a message meant for the person starting it.
   */
  static open(dir: string, options: SqliteOptions = {}): SqliteBackend {
    const Driver = loadDriver();
    const path = resolve(dir);
    try {
      mkdirSync(path, { recursive: true });
    } catch (err) {
      throw new DataDirError(`Cannot create the data directory ${path}: ${(err as Error).message}`);
    }
    const lock = takeLock(Driver, path);
    try {
      const file = join(path, databaseFile);
      const isNew = !existsSync(file) || statSync(file).size === 0;
      let db: Database;
      let snapshot: StoreSnapshot | null;
      try {
        db = new Driver(file);
        db.pragma('busy_timeout = 5000');
        if (isNew) db.pragma('auto_vacuum = INCREMENTAL');
        db.pragma('journal_mode = WAL');
      } catch (err) {
        throw new DataDirError(`${file} is not a readable mailsandbox database (${(err as Error).message}). Move it away to start empty, or restore a backup.`);
      }
      db.pragma(`synchronous = ${options.fsync === 'full' ? 'FULL' : 'NORMAL'}`);
      // The checkpoints run in a worker (checkpointer.ts); this connection's own is only the backstop should the WAL
      // reach 64 MiB, and a WAL file left larger than 64 MiB is cut back once reset.
      db.pragma('wal_autocheckpoint = 16384');
      db.pragma('journal_size_limit = 67108864');
      try {
        const found = db.pragma('user_version', { simple: true }) as number;
        if (isNew || (found === 0 && !hasTables(db))) createLayout(db);
        else if (found > layoutVersion) {
          throw new DataDirError(
            `${file} has layout version ${found}, newer than this mailsandbox understands (${layoutVersion}). Upgrade mailsandbox, or point --data-dir elsewhere.`,
          );
        } else if (found < layoutVersion) migrate(db, found);
        checkIntegrity(db, file);
        snapshot = readSnapshot(db);
      } catch (err) {
        db.close();
        if (err instanceof DataDirError) throw err;
        throw new DataDirError(`${file} is damaged or not a mailsandbox database (${(err as Error).message}). Nothing was changed; move it away to start empty, or restore a backup.`);
      }
      const backend = new SqliteBackend(path, db, lock, options);
      backend.#snapshot = snapshot;
      return backend;
    } catch (err) {
      lock.close();
      throw err;
    }
  }

  /**
   * Group commit: the change runs in a savepoint of the transaction this event-loop turn shares (a change that fails
   * is rolled back alone, and the model does not apply it), and the returned promise resolves once that transaction
   * is committed (`setImmediate`, or before the next write once the batch is large). `MessageStore.durable()` waits
   * for it, so nothing is acknowledged before its commit.
   */
  write(change: StoreChange): Promise<void> {
    if (this.#closed) throw new StoreError('FULL', 'The store is closed');
    this.#reclaimer.noteWrite();
    if (this.#batch.length >= maxBatchChanges || this.#batchBytes >= maxBatchBytes) this.#flush();
    if (!this.#db.inTransaction) {
      this.#statements.begin.run();
      this.#scheduleFlush();
    }
    try {
      this.#apply(change);
    } catch (err) {
      // SQLITE_FULL/IOERR can roll the whole transaction back: the changes before this one are written again alone.
      if (!this.#db.inTransaction && this.#batch.length > 0) this.#replay(this.#batch.splice(0));
      throw this.#storeError(err);
    }
    if (change.kind === 'deliver') {
      this.#cache.set(change.message.id, change.message.raw);
      this.#batchBytes += change.message.raw.length;
    }
    return new Promise<void>((resolve, reject) => this.#batch.push({ change, resolve, reject }));
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // The commit waits one more turn of the event loop when that turn brought other writes: under load the next turn's
    // poll phase reads more messages into the same transaction (a commit writes every page it dirtied, ~4 KiB each,
    // once per commit rather than once per message); when nothing else came, it commits at once.
    let seen = this.#batch.length;
    const commit = (): void => {
      if (this.#batch.length > seen && this.#batch.length < groupCommitTarget) {
        seen = this.#batch.length;
        setImmediate(commit);
        return;
      }
      this.#flushQueued = false;
      this.#flush();
    };
    setImmediate(commit);
  }

  /** Commits the open transaction and settles its writes; a failed commit writes them again one by one. */
  #flush(): void {
    const batch = this.#batch.splice(0);
    this.#batchBytes = 0;
    if (!this.#db.inTransaction) {
      if (batch.length > 0) this.#replay(batch);
      return;
    }
    try {
      this.#statements.commit.run();
    } catch (err) {
      if (this.#db.inTransaction) {
        try {
          this.#statements.rollback.run();
        } catch {
          // Already rolled back by SQLite.
        }
      }
      this.#replay(batch);
      return;
    }
    for (const w of batch) w.resolve();
    for (const w of batch) this.#reclaimer.noteCommitted(w.change);
  }

  /**
   * After a transaction that did not commit (a full disk): each change again in its own transaction. Those that
   * still fail are refused to their callers (who have not acknowledged them) and undone in the model where possible.
   */
  #replay(batch: PendingWrite[]): void {
    for (const w of batch) {
      try {
        this.#apply(w.change);
        w.resolve();
      } catch (err) {
        this.#undo(w.change);
        w.reject(this.#storeError(err));
      }
    }
  }

  #undo(change: StoreChange): void {
    const model = this.#model;
    try {
      if (change.kind === 'deliver') {
        this.#cache.delete(change.message.id);
        model?.applyChange({ kind: 'deleteMessage', id: change.message.id, reason: 'deleted' });
      } else if (change.kind === 'createMailbox') {
        const mb = model?.getMailbox(change.address);
        if (mb && [...mb.folders.values()].every((f) => f.placements.length === 0)) model?.applyChange({ kind: 'deleteMailbox', address: change.address });
      }
      // Other changes (flags, expunges, folders) stay in the model until restart: they are small, and a disk that
      // refuses them has refused the deliveries around them first.
    } catch {
      // Best effort.
    }
  }

  /** The model this backend serves, to undo a change whose transaction could not be committed. */
  attachModel(model: AttachedModel): void {
    this.#model = model;
  }

  #storeError(err: unknown): unknown {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_FULL') || code.startsWith('SQLITE_IOERR')) {
      return new StoreError('FULL', `The data directory ${this.location.path} is full or failing (${code}); nothing was stored`);
    }
    return err;
  }

  readRaw(id: string): Buffer {
    const cached = this.#cache.get(id);
    if (cached) return cached;
    if (this.#closed) return Buffer.alloc(0);
    const row = this.#statements.body.get(id) as { raw: Buffer } | undefined;
    // A message deleted while a reader still held it: its bytes are gone with it.
    if (!row) return Buffer.alloc(0);
    this.#cache.set(id, row.raw);
    return row.raw;
  }

  load(): StoreSnapshot | null {
    const snapshot = this.#snapshot;
    this.#snapshot = null;
    return snapshot;
  }

  /** Gives back free pages now (the store also does it by itself after deletions). Returns the bytes reclaimed. */
  vacuum(): number {
    this.#flush();
    const pageSize = this.#db.pragma('page_size', { simple: true }) as number;
    const before = this.#db.pragma('freelist_count', { simple: true }) as number;
    this.#db.pragma('incremental_vacuum');
    const after = this.#db.pragma('freelist_count', { simple: true }) as number;
    this.#reclaimer.reset();
    return (before - after) * pageSize;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    // A reclaim still waiting is finished now, so a stop right after a clear leaves a compact file.
    if (this.#reclaimer.stop()) {
      try {
        this.vacuum();
      } catch {
        // Best effort, as below.
      }
    }
    this.#closed = true;
    await this.#checkpointer?.stop();
    try {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A full disk can refuse the checkpoint; the WAL is replayed at the next open.
    }
    this.#db.close();
    this.#lock.close();
  }

  #write(change: StoreChange): void {
    const s = this.#statements;
    switch (change.kind) {
      case 'createMailbox':
        s.insertMailbox.run(change.address, change.createdAt.getTime());
        for (const f of change.folders) this.#insertFolder(change.address, f);
        return;
      case 'deleteMailbox':
        s.deleteMailboxVanished.run(change.address);
        s.deleteMailboxPlacements.run(change.address);
        s.deleteMailboxFolders.run(change.address);
        s.deleteMailbox.run(change.address);
        s.deleteMetaPrefix.run({ prefix: lostSubscriptionKey(change.address, '').slice(0, -2) });
        return;
      case 'createFolder':
        this.#insertFolder(change.mailbox, change.folder);
        return;
      case 'deleteFolder':
        s.deleteFolderVanished.run(change.mailbox, change.name);
        // A subscription outlives its folder (kept as a meta row; see lostSubscriptionKey).
        if ((s.folderSubscribed.get(change.mailbox, change.name) as { subscribed: number } | undefined)?.subscribed === 1) s.setMeta.run(lostSubscriptionKey(change.mailbox, change.name), 1);
        s.deleteFolderPlacements.run(change.mailbox, change.name);
        s.deleteFolder.run(change.mailbox, change.name);
        return;
      case 'renameFolder':
        s.renameFolders.run({ mailbox: change.mailbox, from: change.from, to: change.to });
        s.renamePlacements.run({ mailbox: change.mailbox, from: change.from, to: change.to });
        s.renameVanished.run({ mailbox: change.mailbox, from: change.from, to: change.to });
        for (const { name } of s.folderNames.all(change.mailbox) as Array<{ name: string }>) {
          if ((name === change.to || name.startsWith(change.to + '/')) && s.deleteMeta.run(lostSubscriptionKey(change.mailbox, name)).changes > 0) s.subscribe.run(1, change.mailbox, name);
        }
        return;
      case 'subscribe':
        if (s.subscribe.run(change.subscribed ? 1 : 0, change.mailbox, change.name).changes > 0) return;
        if (change.subscribed) s.setMeta.run(lostSubscriptionKey(change.mailbox, change.name), 1);
        else s.deleteMeta.run(lostSubscriptionKey(change.mailbox, change.name));
        return;
      case 'deliver': {
        const m = change.message;
        s.insertMessage.run({
          id: m.id,
          seq: m.seq,
          received_at: m.receivedAt.getTime(),
          size: m.raw.length,
          source: m.source,
          envelope: JSON.stringify(m.envelope),
          connection: JSON.stringify(m.connection),
          summary: JSON.stringify(m.summary),
          transcript: m.transcript ?? null,
          tags: JSON.stringify(m.tags ?? []),
        });
        s.insertBody.run(m.id, m.raw);
        s.setMeta.run('next_seq', m.seq + 1);
        for (const p of change.placements) this.#insertPlacement(m.id, p);
        return;
      }
      case 'copy':
        for (const p of change.placements) this.#insertPlacement(p.messageId, p);
        return;
      case 'setFlags':
        // Each changed placement takes its folder's next MODSEQ (modseq.ts); a placement that is gone is skipped.
        for (const p of change.placements) {
          if (s.setFlags.run(p.flags.join(' '), p.mailbox, p.folder, p.mailbox, p.folder, p.uid).changes) s.bumpModseq.run(p.mailbox, p.folder);
        }
        return;
      case 'removePlacements': {
        const gone: PlacementKey[] = [];
        for (const p of change.placements) if (s.deletePlacement.run(p.mailbox, p.folder, p.uid).changes) gone.push(p);
        this.#vanish(gone);
        for (const id of change.forgotten) this.#deleteMessage(id);
        return;
      }
      case 'deleteMessage':
        this.#vanish(s.deleteMessagePlacements.all(change.id) as PlacementKey[]);
        this.#deleteMessage(change.id);
        return;
      case 'clear':
        // Every folder with placements: one MODSEQ for the whole clear, each UID remembered as expunged at it.
        s.clearVanish.run();
        s.clearBump.run();
        for (const f of s.clearFolders.all() as Array<{ mailbox: string; folder: string }>) this.#trimVanished(f.mailbox, f.folder);
        s.clearPlacements.run();
        s.clearBodies.run();
        s.clearMessages.run();
        this.#cache.clear();
        return;
      case 'setTags':
        s.setTags.run(JSON.stringify(change.tags), change.id);
        for (const p of s.messagePlacements.all(change.id) as PlacementKey[]) this.#touch(p);
        return;
      case 'recordRelay':
        s.addRelay.run(JSON.stringify(change.record), change.id);
        return;
      case 'renewUidValidity': {
        // Renumber 1..n in UID order: ascending, so each new UID is at most the old one and never collides.
        const uids = (s.folderUids.all(change.mailbox, change.folder) as Array<{ uid: number }>).map((r) => r.uid);
        uids.forEach((uid, i) => s.renumber.run(i + 1, change.mailbox, change.folder, uid));
        s.renewFolder.run(change.uidValidity, uids.length + 1, change.mailbox, change.folder);
        s.deleteFolderVanished.run(change.mailbox, change.folder);
        s.setVanishedFloor.run(0, change.mailbox, change.folder);
        s.maxMeta.run('next_uid_validity', change.uidValidity + 1);
        return;
      }
      case 'addFaultRule': {
        const { hits: _hits, spent: _spent, ...rule } = change.rule;
        s.insertFaultRule.run(rule.id, JSON.stringify(rule));
        return;
      }
      case 'removeFaultRules':
        for (const id of change.ids) s.deleteFaultRule.run(id);
        return;
      case 'faultHit':
        s.faultHit.run(change.id);
        return;
      default:
        assertNever(change);
    }
  }

  #insertFolder(mailbox: string, f: FolderRecord): void {
    // highest_modseq starts at 1, as the model's createFolder does.
    const wasSubscribed = this.#statements.deleteMeta.run(lostSubscriptionKey(mailbox, f.name)).changes > 0;
    this.#statements.insertFolder.run(mailbox, f.name, f.uidValidity, 1, f.specialUse ?? null, f.subscribed || wasSubscribed ? 1 : 0);
    this.#statements.maxMeta.run('next_uid_validity', f.uidValidity + 1);
  }

  #insertPlacement(messageId: string, p: PlacementRecord): void {
    const s = this.#statements;
    const { modseq } = s.placeInFolder.get(p.uid + 1, p.mailbox, p.folder) as { modseq: number };
    s.insertPlacement.run(p.mailbox, p.folder, p.uid, messageId, p.flags.join(' '), p.internalDate.getTime(), modseq);
  }

  /** The placement changed: it takes its folder's next MODSEQ. */
  #touch(p: PlacementKey): void {
    const s = this.#statements;
    const row = s.bumpModseq.get(p.mailbox, p.folder) as { modseq: number } | undefined;
    if (row) s.setModseq.run(row.modseq, p.mailbox, p.folder, p.uid);
  }

  /** Placements removed: one MODSEQ per folder for the batch, and each UID remembered as expunged at it. */
  #vanish(gone: readonly PlacementKey[]): void {
    if (gone.length === 0) return;
    const s = this.#statements;
    const byFolder = new Map<string, PlacementKey[]>();
    for (const p of gone) {
      const k = `${p.mailbox}\0${p.folder}`;
      const list = byFolder.get(k);
      if (list) list.push(p);
      else byFolder.set(k, [p]);
    }
    for (const list of byFolder.values()) {
      const { mailbox, folder } = list[0];
      const row = s.bumpModseq.get(mailbox, folder) as { modseq: number } | undefined;
      if (!row) continue;
      for (const p of list) s.insertVanished.run(mailbox, folder, p.uid, row.modseq);
      this.#trimVanished(mailbox, folder);
    }
  }

  /** Keeps the newest `maxVanishedPerFolder` expunged UIDs; the floor rises to the newest MODSEQ forgotten. */
  #trimVanished(mailbox: string, folder: string): void {
    const s = this.#statements;
    const excess = (s.countVanished.get(mailbox, folder) as { n: number }).n - maxVanishedPerFolder;
    if (excess <= 0) return;
    const { floor } = s.vanishedFloorAt.get(mailbox, folder, excess - 1) as { floor: number };
    s.forgetVanished.run(mailbox, folder, excess);
    s.setVanishedFloor.run(floor, mailbox, folder);
  }

  #deleteMessage(id: string): void {
    const s = this.#statements;
    s.deleteBody.run(id);
    s.deleteMessage.run(id);
    this.#cache.delete(id);
  }
}

interface FolderRow {
  mailbox: string;
  name: string;
  uid_validity: number;
  uid_next: number;
  special_use: string | null;
  subscribed: number;
  highest_modseq: number;
  vanished_floor: number;
}

function prepare(db: Database) {
  const q = (sql: string): Statement => db.prepare(sql);
  return {
    begin: q('BEGIN'),
    commit: q('COMMIT'),
    rollback: q('ROLLBACK'),
    deleteMeta: q('DELETE FROM meta WHERE key = ?'),
    deleteMetaPrefix: q("DELETE FROM meta WHERE substr(key, 1, length(@prefix)) = @prefix"),
    folderSubscribed: q('SELECT subscribed FROM folders WHERE mailbox = ? AND name = ?'),
    folderNames: q('SELECT name FROM folders WHERE mailbox = ?'),
    setMeta: q('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    maxMeta: q('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)'),
    body: q('SELECT raw FROM bodies WHERE id = ?'),
    insertMailbox: q('INSERT INTO mailboxes (address, created_at) VALUES (?, ?)'),
    deleteMailbox: q('DELETE FROM mailboxes WHERE address = ?'),
    deleteMailboxFolders: q('DELETE FROM folders WHERE mailbox = ?'),
    deleteMailboxPlacements: q('DELETE FROM placements WHERE mailbox = ?'),
    insertFolder: q('INSERT INTO folders (mailbox, name, uid_validity, uid_next, special_use, subscribed) VALUES (?, ?, ?, ?, ?, ?)'),
    deleteFolder: q('DELETE FROM folders WHERE mailbox = ? AND name = ?'),
    deleteFolderPlacements: q('DELETE FROM placements WHERE mailbox = ? AND folder = ?'),
    renameFolders: q(
      `UPDATE folders SET name = :to || substr(name, length(:from) + 1)
       WHERE mailbox = :mailbox AND (name = :from OR substr(name, 1, length(:from) + 1) = :from || '/')`,
    ),
    renamePlacements: q(
      `UPDATE placements SET folder = :to || substr(folder, length(:from) + 1)
       WHERE mailbox = :mailbox AND (folder = :from OR substr(folder, 1, length(:from) + 1) = :from || '/')`,
    ),
    subscribe: q('UPDATE folders SET subscribed = ? WHERE mailbox = ? AND name = ?'),
    placeInFolder: q('UPDATE folders SET uid_next = max(uid_next, ?), highest_modseq = highest_modseq + 1 WHERE mailbox = ? AND name = ? RETURNING highest_modseq AS modseq'),
    bumpModseq: q('UPDATE folders SET highest_modseq = highest_modseq + 1 WHERE mailbox = ? AND name = ? RETURNING highest_modseq AS modseq'),
    setModseq: q('UPDATE placements SET modseq = ? WHERE mailbox = ? AND folder = ? AND uid = ?'),
    messagePlacements: q('SELECT mailbox, folder, uid FROM placements WHERE message_id = ? ORDER BY mailbox, folder, uid'),
    insertVanished: q('INSERT INTO vanished (mailbox, folder, uid, modseq) VALUES (?, ?, ?, ?)'),
    countVanished: q('SELECT count(*) AS n FROM vanished WHERE mailbox = ? AND folder = ?'),
    vanishedFloorAt: q('SELECT modseq AS floor FROM vanished WHERE mailbox = ? AND folder = ? ORDER BY rowid LIMIT 1 OFFSET ?'),
    forgetVanished: q('DELETE FROM vanished WHERE rowid IN (SELECT rowid FROM vanished WHERE mailbox = ? AND folder = ? ORDER BY rowid LIMIT ?)'),
    setVanishedFloor: q('UPDATE folders SET vanished_floor = ? WHERE mailbox = ? AND name = ?'),
    deleteFolderVanished: q('DELETE FROM vanished WHERE mailbox = ? AND folder = ?'),
    deleteMailboxVanished: q('DELETE FROM vanished WHERE mailbox = ?'),
    renameVanished: q(
      `UPDATE vanished SET folder = :to || substr(folder, length(:from) + 1)
       WHERE mailbox = :mailbox AND (folder = :from OR substr(folder, 1, length(:from) + 1) = :from || '/')`,
    ),
    clearVanish: q(
      `INSERT INTO vanished (mailbox, folder, uid, modseq)
       SELECT p.mailbox, p.folder, p.uid, f.highest_modseq + 1 FROM placements p JOIN folders f ON f.mailbox = p.mailbox AND f.name = p.folder
       ORDER BY p.mailbox, p.folder, p.uid`,
    ),
    clearBump: q('UPDATE folders SET highest_modseq = highest_modseq + 1 WHERE EXISTS (SELECT 1 FROM placements p WHERE p.mailbox = folders.mailbox AND p.folder = folders.name)'),
    clearFolders: q('SELECT DISTINCT mailbox, folder FROM placements'),
    renewFolder: q('UPDATE folders SET uid_validity = ?, uid_next = ? WHERE mailbox = ? AND name = ?'),
    folderUids: q('SELECT uid FROM placements WHERE mailbox = ? AND folder = ? ORDER BY uid'),
    renumber: q('UPDATE placements SET uid = ? WHERE mailbox = ? AND folder = ? AND uid = ?'),
    insertMessage: q(
      `INSERT INTO messages (id, seq, received_at, size, source, envelope, connection, summary, transcript, tags, relays)
       VALUES (:id, :seq, :received_at, :size, :source, :envelope, :connection, :summary, :transcript, :tags, '[]')`,
    ),
    insertBody: q('INSERT INTO bodies (id, raw) VALUES (?, ?)'),
    deleteMessage: q('DELETE FROM messages WHERE id = ?'),
    deleteBody: q('DELETE FROM bodies WHERE id = ?'),
    deleteMessagePlacements: q('DELETE FROM placements WHERE message_id = ? RETURNING mailbox, folder, uid'),
    insertPlacement: q('INSERT INTO placements (mailbox, folder, uid, message_id, flags, internal_date, modseq) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    deletePlacement: q('DELETE FROM placements WHERE mailbox = ? AND folder = ? AND uid = ?'),
    // The placement takes its folder's next MODSEQ; the caller then raises the folder's (bumpModseq) when a row changed.
    setFlags: q('UPDATE placements SET flags = ?, modseq = (SELECT highest_modseq + 1 FROM folders WHERE mailbox = ? AND name = ?) WHERE mailbox = ? AND folder = ? AND uid = ?'),
    clearPlacements: q('DELETE FROM placements'),
    clearBodies: q('DELETE FROM bodies'),
    clearMessages: q('DELETE FROM messages'),
    setTags: q('UPDATE messages SET tags = ? WHERE id = ?'),
    insertFaultRule: q('INSERT OR IGNORE INTO fault_rules (id, rule, hits) VALUES (?, ?, 0)'),
    deleteFaultRule: q('DELETE FROM fault_rules WHERE id = ?'),
    faultHit: q('UPDATE fault_rules SET hits = hits + 1 WHERE id = ?'),
    addRelay: q('UPDATE messages SET relays = json_insert(relays, \'$[#]\', json(?)) WHERE id = ?'),
  };
}

function hasTables(db: Database): boolean {
  return (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n > 0;
}

/** A quick check at open: a truncated or overwritten file fails here with a clear message, never as an empty store. */
function checkIntegrity(db: Database, file: string): void {
  for (const table of ['meta', 'mailboxes', 'folders', 'messages', 'bodies', 'placements', 'vanished', 'fault_rules']) {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
    if (!exists) throw new DataDirError(`${file} is not a mailsandbox database (no ${table} table).`);
  }
  // A whole-file quick_check reads every body (1.5 s per 100,000 messages): instead, a file cut short is caught by
  // its header (the page count at the last checkpoint, which a checkpoint writes only after growing the file), and a
  // damaged page of the tables the model is built from fails the read of the snapshot that follows. A damaged body
  // page shows when that message is read.
  if (walHasFrames(file)) return;
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  const pages = header.readUInt32BE(28);
  const valid = header.readUInt32BE(24) === header.readUInt32BE(92);
  const size = statSync(file).size;
  if (valid && pages * pageSize > size) {
    throw new DataDirError(`${file} is damaged (truncated: ${size} bytes, its header says ${pages * pageSize}). Nothing was changed; move it away to start empty, or restore a backup.`);
  }
}

function walHasFrames(file: string): boolean {
  try {
    return statSync(`${file}-wal`).size > 32;
  } catch {
    return false;
  }
}

/** Reused across the load: the same value in many rows becomes one object (see readSnapshot). */
class Interned<T> {
  readonly #values = new Map<string, T>();
  constructor(
    readonly parse: (json: string) => T,
    readonly capacity = 100_000,
  ) {}
  get(json: string): T {
    let v = this.#values.get(json);
    if (v === undefined) {
      v = this.parse(json);
      if (this.#values.size < this.capacity) this.#values.set(json, v);
    }
    return v;
  }
}

/** The empty list every message without tags, relays or Cc shares (frozen: a push throws instead of leaking). */
const none = Object.freeze([]) as unknown as never[];

/**
 * The whole state at open, read in one pass per table (messages with their placements in one ordered join). What
 * repeats across messages is kept once: envelopes, connections, addresses, address lists, empty lists, and the
 * INTERNALDATE when it equals the arrival time (as it does for everything delivered over SMTP).
 */
function readSnapshot(db: Database): StoreSnapshot | null {
  const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: number }>).map((r) => [r.key, r.value]));
  const folders = new Map<string, FolderSnapshot[]>();
  const logs = new Map<string, VanishedLog>();
  const allFolders = db.prepare('SELECT mailbox, name, uid_validity, uid_next, special_use, subscribed, highest_modseq, vanished_floor FROM folders ORDER BY rowid');
  for (const f of allFolders.iterate() as IterableIterator<FolderRow>) {
    const list = folders.get(f.mailbox) ?? [];
    const vanished: VanishedLog = { uids: [], modseqs: [], floor: f.vanished_floor };
    logs.set(`${f.mailbox}\0${f.name}`, vanished);
    list.push({
      name: f.name,
      uidValidity: f.uid_validity,
      uidNext: f.uid_next,
      specialUse: (f.special_use ?? undefined) as SpecialUse | undefined,
      subscribed: f.subscribed === 1,
      highestModseq: f.highest_modseq,
      vanished,
    });
    folders.set(f.mailbox, list);
  }
  const allVanished = db.prepare('SELECT mailbox, folder, uid, modseq FROM vanished ORDER BY rowid');
  for (const v of allVanished.iterate() as IterableIterator<{ mailbox: string; folder: string; uid: number; modseq: number }>) {
    const log = logs.get(`${v.mailbox}\0${v.folder}`);
    if (!log) continue;
    log.uids.push(v.uid);
    log.modseqs.push(v.modseq);
  }
  const lost = new Map<string, string[]>();
  for (const key of meta.keys()) {
    if (!key.startsWith(lostSubscriptionPrefix)) continue;
    const [mailbox, name] = JSON.parse(key.slice(lostSubscriptionPrefix.length)) as [string, string];
    lost.set(mailbox, [...(lost.get(mailbox) ?? []), name]);
  }
  const mailboxes = (db.prepare('SELECT address, created_at FROM mailboxes ORDER BY rowid').all() as Array<{ address: string; created_at: number }>).map((m) => ({
    address: m.address,
    createdAt: new Date(m.created_at),
    folders: folders.get(m.address) ?? [],
    lostSubscriptions: lost.get(m.address),
  }));

  const strings = new Map<string, string>();
  const str = (s: string): string => {
    const known = strings.get(s);
    if (known !== undefined) return known;
    if (strings.size < 100_000) strings.set(s, s);
    return s;
  };
  const addresses = new Interned<Address>((key) => {
    const cut = key.indexOf('\0');
    return { name: str(key.slice(0, cut)), address: str(key.slice(cut + 1)) };
  });
  const addressOf = (a: Address | null): Address | null => (a ? addresses.get(`${a.name}\0${a.address}`) : null);
  const lists = new Map<string, Address[]>();
  const listOf = (list: Address[]): Address[] => {
    if (list.length === 0) return none;
    const shared = list.map((a) => addressOf(a) as Address);
    const key = shared.map((a) => `${a.name}\0${a.address}`).join('\n');
    const known = lists.get(key);
    if (known) return known;
    if (lists.size < 100_000) lists.set(key, shared);
    return shared;
  };
  const envelopes = new Interned((json) => JSON.parse(json) as MessageRecord['envelope']);
  const connections = new Interned((json) => JSON.parse(json) as MessageRecord['connection']);
  const flagLists = new Interned((flags) => (flags ? flags.split(' ') : none));
  const tagLists = new Interned((json) => JSON.parse(json) as string[]);

  type Entry = StoreSnapshot extends { messages: Iterable<infer E> } ? E : never;
  // One row per placement (a message with none still gives one row, with NULLs): grouped by message, in seq order.
  const rows = db
    .prepare(
      `SELECT m.id, m.seq, m.received_at, m.size, m.source, m.envelope, m.connection, m.summary, m.transcript, NULLIF(m.tags, '[]'), NULLIF(m.relays, '[]'),
              p.mailbox, p.folder, p.uid, p.flags, p.internal_date, p.modseq
       FROM messages m LEFT JOIN placements p ON p.message_id = m.id ORDER BY m.seq`,
    )
    .raw(true);
  const hasMessages = db.prepare('SELECT 1 FROM messages LIMIT 1').get() !== undefined;
  // Read while the model is built, one message at a time: nothing but the model outlives its row. A page that turns
  // out damaged here fails the start with a DataDirError as at open.
  function* messages(): Generator<Entry> {
    let current: Entry | null = null;
    try {
      for (const r of rows.iterate() as IterableIterator<unknown[]>) {
        const id = r[0] as string;
        if (current === null || current.message.id !== id) {
          if (current) yield current;
          const receivedAt = new Date(r[2] as number);
          const parsed = JSON.parse(r[7] as string) as HeaderSummary & { date: string | null };
          const summary: HeaderSummary = {
            messageId: parsed.messageId,
            from: addressOf(parsed.from),
            to: listOf(parsed.to),
            cc: listOf(parsed.cc),
            subject: parsed.subject,
            date: parsed.date === null ? null : new Date(parsed.date),
            hasAttachments: parsed.hasAttachments,
          };
          current = {
            message: {
              id,
              seq: r[1] as number,
              size: r[3] as number,
              receivedAt,
              envelope: envelopes.get(r[5] as string),
              source: r[4] as MessageRecord['source'],
              connection: connections.get(r[6] as string),
              summary,
              transcript: (r[8] as string | null) ?? undefined,
              tags: r[9] === null ? none : tagLists.get(r[9] as string),
            },
            relays: r[10] === null ? none : (JSON.parse(r[10] as string) as RelayRecord[]),
            placements: [],
          };
        }
        if (r[11] === null) continue;
        const internal = r[15] as number;
        (current.placements as PlacementSnapshot[]).push({
          mailbox: str(r[11] as string),
          folder: str(r[12] as string),
          uid: r[13] as number,
          flags: flagLists.get(r[14] as string),
          internalDate: internal === current.message.receivedAt.getTime() ? current.message.receivedAt : new Date(internal),
          modseq: r[16] as number,
        });
      }
    } catch (err) {
      throw new DataDirError(`${db.name} is damaged (${(err as Error).message}). Nothing was changed; move it away to start empty, or restore a backup.`);
    }
    if (current) yield current;
  }
  const faultRules = (db.prepare('SELECT rule, hits FROM fault_rules ORDER BY rowid').all() as Array<{ rule: string; hits: number }>).map(({ rule, hits }) => {
    const r = JSON.parse(rule) as FaultRule;
    return { ...r, hits, spent: r.times !== undefined && r.per === undefined && hits >= r.times };
  });
  if (mailboxes.length === 0 && !hasMessages && faultRules.length === 0 && !meta.has('next_uid_validity')) return null;
  return {
    nextSeq: meta.get('next_seq') ?? 1,
    nextUidValidity: meta.get('next_uid_validity') ?? 1,
    mailboxes,
    messages: messages(),
    faultRules,
  };
}

function takeLock(Driver: typeof BetterSqlite3, dir: string): Database {
  const file = join(dir, lockFile);
  let lock: Database | undefined;
  try {
    lock = new Driver(file, { timeout: 0 });
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, started TEXT)');
    lock.exec('BEGIN EXCLUSIVE');
    lock.prepare('DELETE FROM holder').run();
    lock.prepare('INSERT INTO holder (pid, started) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    // Held until close(): the exclusive lock on the file stays with this process (the OS drops it if the process dies).
    return lock;
  } catch (err) {
    lock?.close();
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new DataDirError(`Another mailsandbox is using the data directory ${dir} (it holds ${file}). Stop it first, or choose another --data-dir.`);
    }
    throw new DataDirError(`Cannot lock the data directory ${dir}: ${(err as Error).message}`);
  }
}
