import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { MessageStore } from '../message-store.js';
import type { StoreBackend, StoreLocation } from '../store-backend.js';
import { isFaultChange, type FaultChange, type StoreChange } from '../store-change.js';
import { StoreError, type StoreOptions } from '../types.js';
import { decodeChange, encodeChange } from './codec.js';
import { lockSpace, migrate } from './migrations.js';
import { readSnapshot, takeSnapshot, type SnapshotPart } from './snapshot.js';
import type { StoreSnapshot } from '../store-backend.js';

/** Where the log lives and whose it is. */
export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db` */
  url: string;
  /** Tenants share a database and never see each other's mail, folders or events. Default `default`. */
  tenant?: string;
  /** A name for this node in the log's `node` column (default: a random id). */
  node?: string;
  /**
   * Log compaction: once the log holds this many rows past the tenant's snapshot, a node writes a new snapshot and
   * deletes the rows before it (those every live node has applied). Default 50,000; 0 turns it off.
   */
  compactAfter?: number;
  logger?: { warn(msg: string, fields?: Record<string, unknown>): void; error(msg: string, fields?: Record<string, unknown>): void };
}

const channel = 'mailsandbox_log';
/** Rows read per catch-up query; a node far behind reads in pages. */
const pageSize = 1000;
/** Rows per INSERT statement of a large batch (6 parameters each, well under PostgreSQL's 65,535). */
const insertChunk = 500;
/** Up to this many rows, a commit sends its rows as literals with the COMMIT in one statement (one round trip). */
const literalRows = 64;
/** The safety net for a lost notification: every node reads the log's head this often. */
const pollMs = 1000;
/** How long an open section keeps taking new calls (bounds how long one node holds the tenant's write lock). */
const joinOpenMs = 50;
/** Snapshot parts per INSERT, and per page when loading. */
const snapshotChunk = 500;
const snapshotPage = 2000;
/** How often a node records its position in `mailsandbox_node` when it writes nothing (compaction keeps its rows). */
const heartbeatMs = 10_000;
/** A node silent this long no longer holds back compaction (it reloads from the snapshot when it comes back). */
const liveWindow = '1 minute';
const reconnectMs = [100, 250, 500, 1000, 2000];
/** Opens a log transaction whose commit does not wait for the disk (#flushLoop makes it durable before any ack). */
const beginAsync = 'BEGIN; SET LOCAL synchronous_commit = off;';

/** What one compaction did. */
export interface CompactResult {
  /** The log seq the snapshot covers. */
  seq: number;
  /** Messages in the snapshot. */
  messages: number;
  /** Log rows deleted. */
  deletedRows: number;
}

/** One row of the log as read back. */
interface LogRow {
  seq: string;
  change: string;
  raw: Buffer | null;
}

/** A run of this node's own changes committed in one transaction. */
interface Batch {
  /** Changes in the order the model applied them. */
  records: StoreChange[];
  /**
   * A section (`exclusive`) decides under the tenant lock after catching up, so its records always fit the log.
   * A blind batch (a change made outside any section) was decided on the model as of `basedOn` and commits only if
   * the log's head is still there; otherwise it is refused (and undone where it can be).
   */
  basedOn: number | null;
  phase: 'queued' | 'open' | 'committing' | 'done';
  joiners: number;
  openedAt: number;
  committed: Promise<void>;
  resolveCommitted(): void;
  rejectCommitted(err: Error): void;
  opened: Promise<void>;
  resolveOpened(): void;
  rejectOpened(err: Error): void;
  fnsDone: Promise<void>;
  resolveFnsDone(): void;
}

function deferred(): { promise: Promise<void>; resolve(): void; reject(err: Error): void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function newBatch(basedOn: number | null): Batch {
  const committed = deferred();
  const opened = deferred();
  const fnsDone = deferred();
  return {
    records: [],
    basedOn,
    phase: 'queued',
    joiners: 0,
    openedAt: 0,
    committed: committed.promise,
    resolveCommitted: committed.resolve,
    rejectCommitted: committed.reject,
    opened: opened.promise,
    resolveOpened: opened.resolve,
    rejectOpened: opened.reject,
    fnsDone: fnsDone.promise,
    resolveFnsDone: fnsDone.resolve,
  };
}

function unavailable(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError('UNAVAILABLE', `The database is unavailable: ${(err as Error)?.message ?? String(err)}`);
}

/** The URL without its password, for `GET /api/v1/info` and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/**
 * The PostgreSQL backend (issue #13): the state is the tenant's change log, `mailsandbox_log`, one row per
 * StoreChange in one total order per tenant. Every node keeps the whole model in memory (the protocols read it
 * synchronously) and applies the log in order:
 *
 * - its own changes: a section (`exclusive(fn)`) takes the tenant's advisory transaction lock, reads and applies every
 *   row past its position, runs `fn` (whose mutations now decide UIDs, seqs and UIDVALIDITYs on the newest state),
 *   inserts the resulting rows with the next seqs and commits; acknowledgements wait for that commit (`durable()`).
 * - the others' changes: each commit sends `NOTIFY mailsandbox_log, 'tenant seq'`; a node reads the rows past its
 *   position, in order. A missed notification (reconnect, gap) costs nothing: the next notification, the next
 *   section or the one-second poll reads from the last applied seq.
 */
export class PostgresBackend implements StoreBackend {
  readonly location: StoreLocation;
  readonly tenant: string;
  readonly node: string;
  readonly #url: string;
  readonly #logger: PostgresStoreOptions['logger'];
  #store: MessageStore | null = null;
  /** The last log seq reflected in the model. */
  #applied = 0;
  /** The highest log seq a notification announced (this node may not have read it yet). */
  #knownHead = 0;
  /** Own changes applied to the model but not yet committed (or refused). */
  #pendingOwn = 0;
  /** The section new `exclusive` calls join (queued, not yet open); null when the next one must start a section. */
  #joinable: Batch | null = null;
  /** The section whose fns are running: changes made now are decided on the newest state and join it. */
  #open: Batch | null = null;
  /** The blind batch still taking changes (not yet started). */
  #blind: Batch | null = null;
  /** The section of fault rule changes still taking more (see #writeFault). */
  #faults: Batch | null = null;
  /** Every unit of work on the writer connection, in order. */
  #chain: Promise<void> = Promise.resolve();
  /** Committed batches waiting for the WAL flush that makes them durable (then they are acknowledged). */
  #flushWaiting: Batch[] = [];
  #flushing = false;
  #flushed: Promise<void> = Promise.resolve();
  #flusher: pg.Client | null = null;
  /** The log seq the tenant's snapshot covers (rows up to it may be gone from the log). */
  #compactedTo = 0;
  readonly #compactAfter: number;
  #compacting: Promise<CompactResult | null> | null = null;
  /** The snapshot read at open, handed to the model by load(). */
  #loaded: StoreSnapshot | null = null;
  /** Open's REPEATABLE READ transaction: the snapshot and the log tail are read as of one moment. */
  #loading = false;
  #lastHeartbeat = 0;
  /** A catch-up found rows missing at this node's position (compacted away, or not yet visible). */
  #gap = false;
  #catchUpQueued = false;
  #writer: pg.Client | null = null;
  #writerBroken = false;
  #listener: pg.Client | null = null;
  #listenerUp = false;
  #locks: pg.Client | null = null;
  #heldMaildrops = new Map<string, string>();
  #diverged: string | null = null;
  #closed = false;
  #poll: NodeJS.Timeout | null = null;
  #reconnectAttempt = 0;

  constructor(options: PostgresStoreOptions) {
    this.#url = options.url;
    this.tenant = options.tenant ?? 'default';
    this.node = options.node ?? randomUUID().slice(0, 8);
    this.#logger = options.logger;
    this.#compactAfter = options.compactAfter ?? 50_000;
    this.location = { kind: 'postgres', path: `${redactUrl(options.url)}#tenant=${this.tenant}` };
  }

  /** Whether this node can accept mail now: both connections up and the model in step with the log. */
  get ready(): boolean {
    return !this.#closed && this.#listenerUp && !this.#writerBroken && this.#diverged === null;
  }

  /** Why `ready` is false (for `/healthz`), or null. */
  get notReadyReason(): string | null {
    if (this.#closed) return 'closed';
    if (this.#diverged) return `out of step with the log: ${this.#diverged}`;
    if (!this.#listenerUp || this.#writerBroken) return 'database unavailable';
    return null;
  }

  /** The last log seq this node has applied. */
  get appliedSeq(): number {
    return this.#applied;
  }

  /** Connects and migrates (several nodes may do this at once). */
  async open(): Promise<void> {
    const client = await this.#client();
    await migrate(client);
    // Registered at position 0 until the first heartbeat: a compaction meanwhile keeps the rows this node will read.
    await client.query(`INSERT INTO mailsandbox_node (tenant, node, seq, seen_at) VALUES ($1, $2, 0, now()) ON CONFLICT (tenant, node) DO UPDATE SET seq = 0, seen_at = now()`, [
      this.tenant,
      this.node,
    ]);
    // The snapshot and the log after it, as of one moment (a compaction by another node cannot fall in between).
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    this.#loading = true;
    const parts: SnapshotPart[] = [];
    let seq = 0;
    for (;;) {
      const { rows } = await client.query<{ part: string; seq: string; state: string; raw: Buffer | null }>(
        'SELECT part, seq, state, raw FROM mailsandbox_snapshot WHERE tenant = $1 AND part >= $2 ORDER BY part LIMIT $3',
        [this.tenant, parts.length, snapshotPage],
      );
      for (const r of rows) {
        parts.push({ state: r.state, raw: r.raw });
        seq = Number(r.seq);
      }
      if (rows.length < snapshotPage) break;
    }
    if (parts.length > 0) {
      this.#loaded = readSnapshot(parts);
      this.#applied = this.#compactedTo = seq;
    }
  }

  /** The snapshot read at open (the model restores it, then the log's tail replays on top). */
  load(): StoreSnapshot | null {
    const snapshot = this.#loaded;
    this.#loaded = null;
    return snapshot;
  }

  /** Replays the tenant's log (past the snapshot) into the new store, then starts listening. */
  async attach(store: MessageStore): Promise<void> {
    this.#store = store;
    const client = await this.#client();
    await this.#catchUp(client);
    if (this.#loading) {
      this.#loading = false;
      await client.query('COMMIT');
    }
    await this.#connectListener();
    this.#poll = setInterval(() => {
      this.#scheduleCatchUp();
      if (!this.#flushing && Date.now() - this.#lastHeartbeat > heartbeatMs) this.#flushed = this.#flushLoop(true);
    }, pollMs);
    this.#poll.unref();
  }

  // ---- the seam ----

  write(change: StoreChange): Promise<void> {
    if (this.#closed) throw new StoreError('UNAVAILABLE', 'The store is closed');
    this.#pendingOwn++;
    const open = this.#open;
    if (open && open.phase === 'open') {
      open.records.push(change);
      return open.committed;
    }
    if (isFaultChange(change)) return this.#writeFault(change);
    let blind = this.#blind;
    if (!blind) {
      blind = newBatch(this.#applied + this.#pendingOwn - 1);
      this.#blind = blind;
      // A fault section queued before this batch must not take changes made after it: they would commit first and
      // move the log's head this batch counts on.
      this.#faults = null;
      const b = blind;
      this.#enqueue(() => this.#runBlind(b));
    }
    blind.records.push(change);
    return blind.committed;
  }

  /**
   * A fault rule change made outside a section (a rule added over REST, a rule firing in a protocol session). Such
   * changes touch only the rule set, by rule id, so they commute with every other change: instead of a blind batch
   * (which any commit on another node would refuse), they get a section of their own, which catches up with the log
   * and appends them after whatever was committed meanwhile. Every node then applies them from the log.
   */
  #writeFault(change: FaultChange): Promise<void> {
    let section = this.#faults;
    if (!section) {
      section = newBatch(null);
      section.resolveFnsDone();
      this.#faults = section;
      const s = section;
      this.#enqueue(() => this.#runSection(s));
    }
    section.records.push(change);
    return section.committed;
  }

  /**
   * Runs `fn` with this node holding the tenant's write lock and its model caught up with the log, so the changes
   * `fn` makes are decided on the newest state. Calls arriving together share one transaction (a group commit).
   * `fn` must not await `durable()` (that waits for this very commit); await it after `exclusive` resolves.
   */
  async exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError('UNAVAILABLE', 'The store is closed');
    let section = this.#joinable;
    // A section already open and young takes the call too (its state is the newest; and a call made from inside
    // another's fn must not wait behind it).
    const open = this.#open;
    if (!section && open && open.phase === 'open' && open.joiners > 0 && Date.now() - open.openedAt < joinOpenMs) section = open;
    if (!section) {
      section = newBatch(null);
      this.#joinable = section;
      const s = section;
      this.#enqueue(() => this.#runSection(s));
    }
    section.joiners++;
    try {
      await section.opened;
      return await fn();
    } finally {
      if (--section.joiners === 0) section.resolveFnsDone();
    }
  }

  /** The POP3 maildrop lock across nodes: a session-level advisory lock on this node's lock connection. */
  async lockMaildrop(address: string, owner: string): Promise<boolean> {
    const held = this.#heldMaildrops.get(address);
    if (held !== undefined) return held === owner;
    const client = await this.#lockClient();
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [lockSpace.maildrop, `${this.tenant}/${address}`]);
    if (!rows[0]?.ok) return false;
    if (this.#heldMaildrops.has(address)) {
      // Another local session got it while we asked: ours is the second hold of a reentrant lock; give it back.
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [lockSpace.maildrop, `${this.tenant}/${address}`]).catch(() => undefined);
      return this.#heldMaildrops.get(address) === owner;
    }
    this.#heldMaildrops.set(address, owner);
    return true;
  }

  async unlockMaildrop(address: string, owner: string): Promise<void> {
    if (this.#heldMaildrops.get(address) !== owner) return;
    this.#heldMaildrops.delete(address);
    const client = this.#locks;
    if (!client) return;
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [lockSpace.maildrop, `${this.tenant}/${address}`]).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#chain.catch(() => undefined);
    await this.#flushed.catch(() => undefined);
    await this.#compacting?.catch(() => undefined);
    this.#closed = true;
    if (this.#poll) clearInterval(this.#poll);
    const clients = [this.#writer, this.#listener, this.#locks, this.#flusher];
    this.#writer = this.#listener = this.#locks = this.#flusher = null;
    await Promise.all(clients.map((c) => c?.end().catch(() => undefined)));
  }

  // ---- units of work on the writer connection ----

  #enqueue(task: () => Promise<void>): void {
    this.#chain = this.#chain.then(task, task).catch((err) => {
      this.#logger?.error('postgres: unexpected failure in the write chain', { err });
    });
  }

  async #runSection(s: Batch): Promise<void> {
    if (this.#faults === s) this.#faults = null;
    let client: pg.Client;
    try {
      client = await this.#client();
      // Behind the log (another node committed, as its NOTIFY said): read those rows before taking the lock, so the
      // critical section only reads what was committed while waiting for it. Nothing of ours is pending here.
      if (this.#knownHead > this.#applied && this.#pendingOwn === 0) await this.#catchUp(client);
      // One round trip: begin, take the tenant lock, read the first page past our position.
      const results = (await client.query(`${beginAsync} ${this.#lockSql(client)}; ${this.#pageSql(client)}`)) as unknown as pg.QueryResult<LogRow>[];
      if (this.#applyRows(results[3]?.rows ?? [])) await this.#catchUp(client);
    } catch (err) {
      this.#brokenWriter(err);
      if (this.#writer) await this.#writer.query('ROLLBACK').catch(() => undefined);
      if (this.#joinable === s) this.#joinable = null;
      // A fault section holds its changes already (a section of `exclusive` calls has none yet).
      if (s.records.length) return this.#refuse(s, unavailable(err));
      s.phase = 'done';
      s.rejectOpened(unavailable(err));
      s.rejectCommitted(unavailable(err));
      return;
    }
    if (this.#joinable === s) this.#joinable = null;
    s.phase = 'open';
    s.openedAt = Date.now();
    this.#open = s;
    s.resolveOpened();
    await s.fnsDone;
    s.phase = 'committing';
    if (this.#open === s) this.#open = null;
    await this.#commit(client, s, this.#applied);
  }

  async #runBlind(b: Batch): Promise<void> {
    if (this.#blind === b) this.#blind = null;
    b.phase = 'committing';
    let client: pg.Client;
    try {
      client = await this.#client();
      const results = (await client.query(
        `${beginAsync} ${this.#lockSql(client)}; SELECT max(seq) AS head FROM mailsandbox_log WHERE tenant = ${client.escapeLiteral(this.tenant)}`,
      )) as unknown as pg.QueryResult<{ head: string | null }>[];
      const head = Math.max(Number(results[3]?.rows[0]?.head ?? 0), this.#compactedTo);
      if (head !== b.basedOn) {
        await client.query('ROLLBACK');
        this.#refuse(b, new StoreError('UNAVAILABLE', `another node changed the store first (log at ${head}, this change was decided at ${b.basedOn}); nothing was stored`));
        this.#scheduleCatchUp();
        return;
      }
    } catch (err) {
      this.#brokenWriter(err);
      if (this.#writer) await this.#writer.query('ROLLBACK').catch(() => undefined);
      this.#refuse(b, unavailable(err));
      return;
    }
    await this.#commit(client, b, b.basedOn);
  }

  /** Inserts the batch's rows after `head`, notifies, commits; on failure undoes what it can in the model. */
  async #commit(client: pg.Client, b: Batch, head: number): Promise<void> {
    const n = b.records.length;
    try {
      if (n === 0) {
        // A section whose calls changed nothing still ends its transaction (and frees the lock).
        await client.query('COMMIT');
      } else if (n <= literalRows) {
        // A group commit's few rows, the NOTIFY (delivered at commit) and the COMMIT in one round trip under the lock:
        // a multi-statement query takes no parameters, so the values go as literals.
        const tenant = client.escapeLiteral(this.tenant);
        const node = client.escapeLiteral(this.node);
        const rows = b.records.map((change, j) => {
          const e = encodeChange(change);
          const raw = e.raw ? `decode('${e.raw.toString('hex')}', 'hex')` : 'NULL';
          return `(${tenant}, ${head + j + 1}, ${client.escapeLiteral(e.kind)}, ${client.escapeLiteral(e.json)}, ${raw}, ${node})`;
        });
        await client.query(
          `INSERT INTO mailsandbox_log (tenant, seq, kind, change, raw, node) VALUES ${rows.join(', ')}; SELECT pg_notify('${channel}', ${client.escapeLiteral(`${this.tenant} ${head + n}`)}); COMMIT`,
        );
      } else {
        // A large batch (a bulk load): binary parameters, 500 rows a statement; the last one carries the NOTIFY.
        for (let i = 0; i < n; i += insertChunk) {
          const values: unknown[] = [];
          const rows = b.records.slice(i, i + insertChunk).map((change, j) => {
            const e = encodeChange(change);
            const p = values.length;
            values.push(this.tenant, head + i + j + 1, e.kind, e.json, e.raw, this.node);
            return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6})`;
          });
          const insert = `INSERT INTO mailsandbox_log (tenant, seq, kind, change, raw, node) VALUES ${rows.join(', ')}`;
          if (i + insertChunk >= n) {
            const p = values.length;
            values.push(channel, `${this.tenant} ${head + n}`);
            await client.query(`WITH ins AS (${insert} RETURNING 1) SELECT pg_notify($${p + 1}, $${p + 2}) FROM (SELECT count(*) FROM ins) c`, values);
          } else {
            await client.query(insert, values);
          }
        }
        await client.query('COMMIT');
      }
    } catch (err) {
      this.#brokenWriter(err);
      await client.query('ROLLBACK').catch(() => undefined);
      this.#refuse(b, unavailable(err));
      return;
    }
    this.#writerBroken = false;
    this.#applied = head + n;
    this.#pendingOwn -= n;
    b.phase = 'done';
    // Committed and visible, and the lock is free for the next writer; acknowledged once the WAL is flushed.
    this.#flushWaiting.push(b);
    if (!this.#flushing) this.#flushed = this.#flushLoop();
    if (this.#compactAfter > 0 && !this.#compacting && this.#applied - this.#compactedTo >= this.#compactAfter) {
      this.compact().catch((err: unknown) => this.#logger?.warn('postgres: log compaction failed', { err: (err as Error).message }));
    }
  }

  /**
   * Log compaction: writes the tenant's state as of this node's position as the new snapshot and deletes the log rows
   * before it that every live node has applied (a node silent for over a minute reloads from the snapshot). Runs on
   * its own connection, outside the tenant's write lock: writers go on meanwhile. Null when there was nothing to do
   * (another node's snapshot is as new, or this node had changes of its own in flight: the next commit retries).
   */
  compact(): Promise<CompactResult | null> {
    this.#compacting ??= this.#compact().finally(() => {
      this.#compacting = null;
    });
    return this.#compacting;
  }

  async #compact(): Promise<CompactResult | null> {
    if (this.#closed || !this.#store) return null;
    const client = this.#newClient();
    client.on('error', () => undefined);
    await client.connect();
    try {
      const existing = async () => {
        const { rows } = await client.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM mailsandbox_snapshot WHERE tenant = $1', [this.tenant]);
        return Number(rows[0]?.seq ?? 0);
      };
      const before = await existing();
      if (before > this.#compactedTo) this.#compactedTo = before;
      // The model is the log up to #applied exactly when nothing of ours is pending; capture it then, in one go.
      const captured = await new Promise<{ seq: number; parts: SnapshotPart[] } | null>((resolve) =>
        this.#enqueue(async () => {
          const store = this.#store;
          resolve(store && this.#pendingOwn === 0 && !this.#closed && this.#applied > this.#compactedTo ? { seq: this.#applied, parts: takeSnapshot(store) } : null);
        }),
      );
      if (!captured) return null;
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [lockSpace.compact, this.tenant]);
      if ((await existing()) >= captured.seq) {
        await client.query('ROLLBACK');
        return null;
      }
      await client.query('DELETE FROM mailsandbox_snapshot WHERE tenant = $1', [this.tenant]);
      for (let i = 0; i < captured.parts.length; i += snapshotChunk) {
        const values: unknown[] = [];
        const rows = captured.parts.slice(i, i + snapshotChunk).map((part, j) => {
          const p = values.length;
          values.push(this.tenant, i + j, captured.seq, part.state, part.raw);
          return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5})`;
        });
        await client.query(`INSERT INTO mailsandbox_snapshot (tenant, part, seq, state, raw) VALUES ${rows.join(', ')}`, values);
      }
      const deleted = await client.query(
        `DELETE FROM mailsandbox_log WHERE tenant = $1 AND seq <= least($2::bigint,
           (SELECT min(seq) FROM mailsandbox_node WHERE tenant = $1 AND node <> $3 AND seen_at > now() - interval '${liveWindow}'))`,
        [this.tenant, captured.seq, this.node],
      );
      await client.query('COMMIT');
      this.#compactedTo = captured.seq;
      return { seq: captured.seq, messages: captured.parts.length - 1, deletedRows: deleted.rowCount ?? 0 };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Makes every commit so far durable, then resolves their batches. The log's transactions commit with
   * `synchronous_commit = off` (the tenant lock is released without waiting for the disk); this statement commits
   * synchronously on its own connection, and the WAL is one sequence: its flush covers every commit before it. The
   * flushes of several nodes (and several batches of one node) share the server's fsyncs.
   */
  async #flushLoop(heartbeat = false): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#flushWaiting.length > 0 || heartbeat) {
        heartbeat = false;
        this.#lastHeartbeat = Date.now();
        const batches = this.#flushWaiting.splice(0);
        const seq = this.#applied;
        try {
          const client = await this.#flushClient();
          await client.query({
            name: 'mailsandbox_flush',
            text: `INSERT INTO mailsandbox_node (tenant, node, seq, seen_at) VALUES ($1, $2, $3, now())
                   ON CONFLICT (tenant, node) DO UPDATE SET seq = excluded.seq, seen_at = excluded.seen_at`,
            values: [this.tenant, this.node, seq],
          });
          for (const b of batches) b.resolveCommitted();
        } catch (err) {
          // The rows are committed (the model keeps them); whether they reached the disk is unknown: the client is
          // told the store is unavailable (SMTP 451: it retries; at worst a duplicate, never a lost 250). A crash
          // that lost them shows at reconnect as a log head behind this node (see #checkHead).
          const f = this.#flusher;
          this.#flusher = null;
          f?.end().catch(() => undefined);
          for (const b of batches) b.rejectCommitted(unavailable(err));
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** A batch that did not commit: its changes are undone in the model where that is possible, and callers told. */
  #refuse(b: Batch, err: StoreError): void {
    this.#pendingOwn -= b.records.length;
    b.phase = 'done';
    const store = this.#store;
    for (const change of [...b.records].reverse()) {
      if (!store) break;
      try {
        if (change.kind === 'deliver') store.applyChange({ kind: 'deleteMessage', id: change.message.id, reason: 'deleted' });
        else if (change.kind === 'createMailbox') {
          const mb = store.getMailbox(change.address);
          if (mb && [...mb.folders.values()].every((f) => f.placements.length === 0)) store.applyChange({ kind: 'deleteMailbox', address: change.address });
        } else if (change.kind === 'addFaultRule') {
          store.applyChange({ kind: 'removeFaultRules', ids: [change.rule.id], all: false });
        } else if (isFaultChange(change)) {
          // A hit or a removal not stored: this node's rule set is ahead of the log (mail is unaffected) until restart.
          this.#logger?.warn('postgres: a fault rule change could not be stored', { kind: change.kind });
        } else if (change.kind === 'deleteMessage' && change.reason === 'evicted') {
          // An eviction that did not commit: the message stays in the log; this node no longer shows it until restart.
        } else {
          this.#diverged ??= `a ${change.kind} change could not be stored (${err.message}); restart this node`;
          this.#logger?.error('postgres: a change applied here could not be stored; this node is out of step until restarted', { kind: change.kind });
        }
      } catch {
        /* best effort */
      }
    }
    b.rejectCommitted(err);
    b.rejectOpened(err);
  }

  /** The tenant lock as literal SQL (for a multi-statement simple query: no parameters there). */
  #lockSql(client: pg.Client): string {
    return `SELECT pg_advisory_xact_lock(${lockSpace.tenant}, hashtext(${client.escapeLiteral(this.tenant)}))`;
  }

  /** The next page of the log past this node's position, as literal SQL. */
  #pageSql(client: pg.Client): string {
    return `SELECT seq, change, raw FROM mailsandbox_log WHERE tenant = ${client.escapeLiteral(this.tenant)} AND seq > ${this.#applied} ORDER BY seq LIMIT ${pageSize}`;
  }

  /** Applies a page of rows in order; true when the page was full and in order (more may follow). */
  #applyRows(rows: LogRow[]): boolean {
    const store = this.#store;
    if (!store) return false;
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== this.#applied + 1) {
        this.#gap = true;
        return false;
      }
      try {
        store.applyChange(decodeChange(row.change, row.raw));
      } catch (err) {
        this.#diverged ??= `log row ${seq} did not apply: ${(err as Error).message}`;
        this.#logger?.error('postgres: a log row did not apply to the model', { seq, err });
      }
      this.#applied = seq;
    }
    return rows.length === pageSize;
  }

  /** Applies every row past the last applied seq, in order (stops at a gap: an earlier commit not yet visible). */
  async #catchUp(client: pg.Client): Promise<void> {
    if (!this.#store) return;
    for (;;) {
      const { rows } = await client.query<LogRow>({
        name: 'mailsandbox_catchup',
        text: 'SELECT seq, change, raw FROM mailsandbox_log WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        values: [this.tenant, this.#applied, pageSize],
      });
      if (!this.#applyRows(rows)) break;
    }
    if (this.#gap) {
      this.#gap = false;
      // Rows missing at this node's position: compacted away while it was away (its model cannot take a snapshot
      // live), or a commit not yet visible (the next read gets it).
      const { rows } = await client.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM mailsandbox_snapshot WHERE tenant = $1', [this.tenant]);
      if (Number(rows[0]?.seq ?? 0) > this.#applied) {
        this.#diverged ??= `the log rows after ${this.#applied} were compacted into a snapshot while this node was behind; restart this node`;
        this.#logger?.error('postgres: this node is behind a log compaction', { applied: this.#applied });
      }
    }
  }

  #scheduleCatchUp(): void {
    if (this.#catchUpQueued || this.#closed || !this.#store) return;
    this.#catchUpQueued = true;
    this.#enqueue(async () => {
      this.#catchUpQueued = false;
      // Own changes waiting for their commit were decided before anything this would read: reading now would put
      // them out of order; the commit's head check (or the next section) settles it.
      if (this.#pendingOwn > 0) return;
      try {
        await this.#catchUp(await this.#client());
        this.#writerBroken = false;
      } catch (err) {
        this.#brokenWriter(err);
      }
    });
  }

  // ---- connections ----

  #newClient(): pg.Client {
    const client = new pg.Client({ connectionString: this.#url, keepAlive: true, connectionTimeoutMillis: 5000, application_name: `mailsandbox ${this.tenant} ${this.node}` });
    return client;
  }

  async #client(): Promise<pg.Client> {
    if (this.#closed) throw new StoreError('UNAVAILABLE', 'The store is closed');
    if (this.#writer) return this.#writer;
    const client = this.#newClient();
    client.on('error', (err) => this.#brokenWriter(err));
    try {
      await client.connect();
    } catch (err) {
      client.end().catch(() => undefined);
      this.#writerBroken = true;
      throw err;
    }
    if (this.#store && this.#applied > 0) await this.#checkHead(client);
    this.#writer = client;
    return client;
  }

  /**
   * After a reconnect: the log must still reach this node's position. Log rows are visible to other nodes a moment
   * before they are on disk (see #flushLoop), so a database crash (not a clean restart) can lose rows a node already
   * applied; such a node is out of step with the log and says so (`/healthz` 503, restart it).
   */
  async #checkHead(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ head: string | null }>(
      `SELECT greatest((SELECT max(seq) FROM mailsandbox_log WHERE tenant = $1), (SELECT max(seq) FROM mailsandbox_snapshot WHERE tenant = $1)) AS head`,
      [this.tenant],
    );
    const head = Number(rows[0]?.head ?? 0);
    if (head < this.#applied) {
      this.#diverged ??= `the log ends at ${head} but this node applied up to ${this.#applied} (the database lost its last commits in a crash); restart this node`;
      this.#logger?.error('postgres: the log is behind this node after a reconnect', { head, applied: this.#applied });
    }
  }

  #brokenWriter(err: unknown): void {
    this.#writerBroken = true;
    const w = this.#writer;
    if (!w) return;
    // A failed statement inside a transaction is not a broken connection; a terminated one is.
    const msg = (err as Error)?.message ?? '';
    if (/terminat|ECONNRESET|ECONNREFUSED|Connection|not queryable|shutdown/i.test(msg)) {
      this.#writer = null;
      w.end().catch(() => undefined);
    }
  }

  async #flushClient(): Promise<pg.Client> {
    if (this.#flusher) return this.#flusher;
    const client = this.#newClient();
    client.on('error', () => {
      if (this.#flusher === client) this.#flusher = null;
    });
    await client.connect();
    this.#flusher = client;
    return client;
  }

  async #lockClient(): Promise<pg.Client> {
    if (this.#locks) return this.#locks;
    const client = this.#newClient();
    client.on('error', () => {
      // The connection held the maildrop locks: the server released them with it.
      if (this.#locks === client) this.#locks = null;
      this.#heldMaildrops.clear();
    });
    await client.connect();
    this.#locks = client;
    return client;
  }

  async #connectListener(): Promise<void> {
    if (this.#closed) return;
    const client = this.#newClient();
    const lost = () => {
      if (this.#listener !== client) return;
      this.#listener = null;
      this.#listenerUp = false;
      client.end().catch(() => undefined);
      this.#retryListener();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => {
      if (!n.payload) return;
      const space = n.payload.lastIndexOf(' ');
      if (n.payload.slice(0, space) !== this.tenant) return;
      const seq = Number(n.payload.slice(space + 1));
      if (seq > this.#knownHead) this.#knownHead = seq;
      if (seq > this.#applied) this.#scheduleCatchUp();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (err) {
      client.end().catch(() => undefined);
      this.#logger?.warn('postgres: listener could not connect; retrying', { err: (err as Error).message });
      this.#retryListener();
      return;
    }
    this.#listener = client;
    this.#listenerUp = true;
    this.#reconnectAttempt = 0;
    // Whatever was committed while we were not listening.
    this.#scheduleCatchUp();
  }

  #retryListener(): void {
    if (this.#closed) return;
    const delay = reconnectMs[Math.min(this.#reconnectAttempt++, reconnectMs.length - 1)];
    setTimeout(() => void this.#connectListener(), delay).unref();
  }
}

const backends = new WeakMap<MessageStore, PostgresBackend>();

/** The PostgreSQL backend under a store opened by openPostgresStore (for compaction by an operator or a test). */
export function postgresBackendOf(store: MessageStore): PostgresBackend | undefined {
  return backends.get(store);
}

/** Opens a store on PostgreSQL: connect, migrate, load the tenant's snapshot, replay the log after it, listen. */
export async function openPostgresStore(storeOptions: StoreOptions, options: PostgresStoreOptions): Promise<MessageStore> {
  const backend = new PostgresBackend(options);
  try {
    await backend.open();
    const store = new MessageStore(storeOptions, backend);
    await backend.attach(store);
    backends.set(store, backend);
    return store;
  } catch (err) {
    await backend.close();
    throw err;
  }
}
