import { randomInt } from 'node:crypto';
import { newMessageId, takeJustIssued } from './message-id.js';
import { TypedEmitter } from '../shared/typed-emitter.js';
import { StringPool, summarizeHeaders } from '../mime/header-summary.js';
import { arrivalTags, normalizeTags } from './tags.js';
import { createFolder, defaultFolders, isPlaced, normalizeAddress, normalizeFolderName, removeFromFolder, uidIndex } from './mailbox.js';
import { isPlacedSeen, placedCount, placedItems, placedMailboxes, withoutPlacements, withPlacement, MessagePlacements } from './message-placements.js';
import { emptyList, LazyRawMessage, MemoryMessage, packTranscript, placedOf, receivedTimeOf, setPlaced, StoredPlacement } from './stored-records.js';
import { StoreLimits, type DeliveryRefusal } from './store-limits.js';
import { SlabArena } from '../shared/slab-arena.js';

import type { StoreEvents, DeleteReason } from './events.js';
import { FaultRuleSet } from './fault-rules.js';
import { NoFlags, StoreError, type DeliveryInput, type RelayRecord, type FlagMode, type Folder, type Mailbox, type Placement, type SpecialUse, type StoreOptions, type StoreStats, type StoredMessage } from './types.js';
import { assertNever, type FolderRecord, type MessageRecord, type PlacementKey, type PlacementRecord, type StoreChange } from './store-change.js';
import { nextModseq, recordVanished, resetVanished } from './modseq.js';
import { MemoryBackend, type StoreBackend, type StoreLocation, type StoreSnapshot } from './store-backend.js';

export { StoreError } from './types.js';
export type { FlagMode, StoreOptions, StoreStats } from './types.js';
export type { StoreChange } from './store-change.js';
export type { StoreBackend, StoreLocation, StoreSnapshot } from './store-backend.js';

const resolved: Promise<void> = Promise.resolve();

/** The largest body packed into a shared slab by bodyBuffer(). */
const maxPackedBody = 2 * 1024;

/** One target of a delivery (DeliveryInput.targets): a mailbox's folder (INBOX by default), its flags and date. */
type DeliveryTarget = NonNullable<DeliveryInput['targets']>[number];

/**
 * The one place that mutates mail state. Protocols and HTTP read from it and subscribe to its events;
 * every mutation emits synchronously, so a change in one protocol is seen by the others before the call returns.
 *
 * Every mutation is decided here (validation, ids, UIDs), recorded as a StoreChange, handed to the backend
 * (`write`), and only then applied to the model by `#apply`, which emits the events. `applyChange()` replays a
 * record written elsewhere; `durable()` resolves once every change so far is persisted: acknowledge after it.
 *
 * `origin` arguments are opaque tokens passed back in events, so a session can tell its own changes from others'.
 */
export class MessageStore extends TypedEmitter<StoreEvents> {
  /** Oldest first; `seq` ascending, so lookups by seq are binary searches. */
  readonly #order: StoredMessage[] = [];
  readonly #byId = new Map<string, StoredMessage>();
  readonly #mailboxes = new Map<string, Mailbox>();
  /** The flags of every placement that has none: one shared set (see NoFlags). */
  readonly #noFlags = new NoFlags();
  /** Addresses repeat across messages; each message would otherwise hold its own copies. */
  readonly #strings = new StringPool();
  #nextSeq = 1;
  /**
   * A random start, not the clock: five folders per mailbox made the counter run ahead of the clock, so a restart
   * could hand a new INBOX the UIDVALIDITY an old one had, and a caching client (or a POP3 UIDL) would take new mail
   * for old. Below 2^31 so years of increments stay within the 32-bit field. A durable backend restores it.
   */
  #nextUidValidity = randomInt(1, 2 ** 31);
  #received = 0;
  /** Bytes of the stored messages (`--max-size`). */
  #bytes = 0;
  readonly #evictedBy = { maxMessages: 0, maxAge: 0, maxSize: 0 };
  readonly #limits: StoreLimits;
  readonly #backend: StoreBackend;
  /** Set when the backend keeps bodies itself (not in memory). */
  readonly #readRaw: ((id: string) => Buffer) | undefined;
  /** Where small bodies kept in memory are packed (see bodyBuffer); none when the backend keeps them (readRaw). */
  readonly #bodies: SlabArena | undefined;
  /** Depth of `applyChange` calls in progress (see isApplyingRemote). */
  #applyingRemote = 0;
  /** Writes of an asynchronous backend not yet settled (null when none). */
  #pending: Promise<void> | null = null;
  /**
   * Fault injection rules (SPEC §13): store state like mail. Adding, removing and each firing are change records
   * committed here, so the durable store keeps them and the shared store replays them on every node.
   */
  readonly faults = new FaultRuleSet(
    (change) => void this.#commit(change),
    () => this.durable(),
  );

  constructor(
    readonly options: StoreOptions,
    backend: StoreBackend = new MemoryBackend(),
  ) {
    super();
    this.#limits = new StoreLimits(options);
    this.#backend = backend;
    this.#readRaw = backend.readRaw?.bind(backend);
    this.#bodies = this.#readRaw ? undefined : new SlabArena(16 * 1024);
    const snapshot = backend.load?.();
    if (snapshot) this.#restore(snapshot);
    backend.attachModel?.(this);
  }

  /** Where the state lives (`GET /api/v1/info` → `store`). */
  get location(): StoreLocation {
    return this.#backend.location;
  }

  /**
   * Resolves once every change made so far is persisted by the backend (at once for memory; at the group commit that
   * ends the current event-loop turn for SQLite); rejects with the first failed write. Protocols await it before acknowledging.
   */
  durable(): Promise<void> {
    return this.#pending ?? resolved;
  }

  /** A write not yet persisted, or null when everything is (always null for memory): what `durable()` would wait for. */
  get pendingWrite(): Promise<void> | null {
    return this.#pending;
  }

  /**
   * Runs `fn`, which makes changes, where they are decided on the newest shared state: a backend shared by several
   * processes (PostgreSQL) takes its write lock and catches up first; others run `fn` at once (synchronously).
   * `fn` must not await `durable()`; await it once this resolves. Rejects with StoreError UNAVAILABLE when the
   * shared store cannot be reached (nothing was changed).
   */
  /** Whether several processes share the store (PostgreSQL): changes must then be made inside `exclusive()`. */
  get isShared(): boolean {
    return this.#backend.exclusive !== undefined;
  }

  exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.#backend.exclusive) return this.#backend.exclusive(fn);
    return new Promise<T>((resolve) => resolve(fn()));
  }

  /** Takes the POP3 maildrop lock where other processes share the store; true at once otherwise. */
  lockMaildrop(address: string, owner: string): Promise<boolean> {
    return this.#backend.lockMaildrop ? this.#backend.lockMaildrop(address, owner) : Promise.resolve(true);
  }

  unlockMaildrop(address: string, owner: string): Promise<void> {
    return this.#backend.unlockMaildrop ? this.#backend.unlockMaildrop(address, owner) : Promise.resolve();
  }

  /** Whether the backend takes writes now (false while a shared database is away); `/healthz` reports it. */
  get ready(): { ok: boolean; reason: string | null } {
    const ok = this.#backend.ready ?? true;
    return { ok, reason: ok ? null : (this.#backend.notReadyReason ?? 'store unavailable') };
  }

  /** Closes the backend (after the listeners stopped); the store must not be changed afterwards. */
  async close(): Promise<void> {
    await this.durable().catch(() => undefined);
    await this.#backend.close();
  }

  // ---- messages ----

  /**
   * A buffer of `size` bytes for the body of a message about to be delivered (SMTP fills it from the DATA chunks).
   * Where the store keeps bodies in memory, bodies of up to 2 KiB are packed into shared 16 KiB slabs: a buffer of its
   * own costs a small body an ArrayBuffer, its tracking record and a C-heap allocation, which every garbage collection
   * then looks at (1 KB ingest 0.98× the CPU, 81 B less V8 heap per message; docs/benchmarks.md, sixth pass). A slab
   * is freed with the last body in it: at worst a small message left from a slab's worth deleted one by one holds 16
   * KiB; retention (oldest first), `clear` and a mailbox's deletion free slabs whole. Where the backend keeps bodies
   * (SQLite, whose cache holds a few at a time and would keep a slab alive for each), every body has its own buffer.
   */
  bodyBuffer(size: number): Buffer {
    return this.#bodies && size <= maxPackedBody ? this.#bodies.take(size) : Buffer.allocUnsafeSlow(size);
  }

  /**
   * Stores a message and places it in each target folder (default: every envelope recipient's INBOX).
   * Throws StoreError NONEXISTENT when a target folder does not exist (IMAP APPEND answers `[TRYCREATE]`).
   */
  deliver(input: DeliveryInput, origin?: unknown): StoredMessage {
    if ((input.targets ?? input.envelope.rcptTo).length === 0) throw new StoreError('INVALID', 'A message needs at least one recipient mailbox');
    if (input.id !== undefined && !takeJustIssued(input.id) && this.#byId.has(input.id)) throw new StoreError('ALREADYEXISTS', `Message id ${input.id} is taken`);
    const resolvedTargets = this.#resolveTargets(input.targets ?? input.envelope.rcptTo, input.raw.length);
    const receivedAt = input.receivedAt ?? new Date();
    // One placement per folder: a message addressed twice to one mailbox (To and Bcc) is delivered once.
    const seenFolders = resolvedTargets.length > 1 ? new Set<Folder>() : null;
    const placements: PlacementRecord[] = [];
    for (const t of resolvedTargets) {
      if (seenFolders) {
        if (seenFolders.has(t.folder)) continue;
        seenFolders.add(t.folder);
      }
      placements.push({ mailbox: t.folder.mailbox, folder: t.folder.name, uid: t.folder.uidNext, flags: t.flags.length ? [...t.flags] : [], internalDate: t.internalDate ?? receivedAt });
    }
    const message: MessageRecord = {
      id: input.id ?? newMessageId(),
      seq: this.#nextSeq,
      raw: input.raw,
      receivedAt,
      envelope: {
        mailFrom: this.#strings.intern(input.envelope.mailFrom),
        rcptTo: input.envelope.rcptTo.map((a) => this.#strings.intern(a)),
      },
      source: input.source,
      connection: input.connection ?? { tls: false },
      // A backend that writes the record needs it now; in memory the message makes it from its bytes on first read.
      summary: this.#readRaw ? summarizeHeaders(input.raw, this.#strings) : undefined,
      transcript: input.transcript,
      // In memory the message finds its arrival tags on first read: most are never read, and a scan of every header
      // at arrival showed in the ingest profile.
      tags: input.tags ? normalizeTags(input.tags) : this.#readRaw ? arrivalTags(input.raw, input.envelope.rcptTo) : undefined,
    };
    const stored = this.#commit({ kind: 'deliver', message, placements }, origin) as StoredMessage;
    this.#enforceRetention();
    return stored;
  }

  get(id: string): StoredMessage | undefined {
    return this.#byId.get(id);
  }

  /** Every placement of a message (empty once deleted). */
  placementsOf(message: StoredMessage): Placement[] {
    return [...placedItems(placedOf(message))];
  }

  /** Lower-cased addresses of the mailboxes holding the message; costs the number of mailboxes, not of copies. */
  mailboxesOf(message: StoredMessage): string[] {
    return placedMailboxes(placedOf(message));
  }

  isSeen(message: StoredMessage): boolean {
    return isPlacedSeen(placedOf(message));
  }

  get size(): number {
    return this.#order.length;
  }

  /** Newest first. */
  *newestFirst(): IterableIterator<StoredMessage> {
    for (let i = this.#order.length - 1; i >= 0; i--) yield this.#order[i];
  }

  /** Oldest first, only those with `seq > afterSeq`. */
  *since(afterSeq: number): IterableIterator<StoredMessage> {
    for (let i = this.#indexAfter(afterSeq); i < this.#order.length; i++) yield this.#order[i];
  }

  /** The highest seq handed out so far (0 before the first message). */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** The next UIDVALIDITY (greater than any handed out, deleted folders included): what a snapshot must keep. */
  get nextUidValidity(): number {
    return this.#nextUidValidity;
  }

  /** Removes a message from every mailbox. Returns false when no such message. */
  deleteMessage(id: string, origin?: unknown, reason: DeleteReason = 'deleted'): boolean {
    if (!this.#byId.has(id)) return false;
    this.#commit({ kind: 'deleteMessage', id, reason }, origin);
    return true;
  }

  /**
   * Deletes every message. Mailboxes and their folders stay (IMAP sessions get EXPUNGEs, not a vanished folder);
   * `deleteMailbox()` drops a mailbox.
   */
  clear(origin?: unknown): void {
    this.#commit({ kind: 'clear' }, origin);
  }

  /** Sets or clears `\Seen` on every placement (SPEC §4 `PATCH {seen}`). */
  setSeen(id: string, seen: boolean, origin?: unknown): boolean {
    const message = this.#byId.get(id);
    if (!message) return false;
    this.setFlags(this.placementsOf(message), ['\\Seen'], seen ? 'add' : 'remove', origin);
    return true;
  }

  /**
   * Replaces a message's tags (trimmed, first spelling of case-insensitive duplicates kept) and emits
   * `message.updated` when they changed. The one way tags change after arrival, so a durable store persists this call.
   * Returns the tags now held, or undefined when there is no such message.
   */
  setTags(id: string, tags: readonly string[]): readonly string[] | undefined {
    const message = this.#byId.get(id);
    if (!message) return undefined;
    const next = normalizeTags(tags);
    if (next.join('\u0000') === message.tags.join('\u0000')) return message.tags;
    this.#commit({ kind: 'setTags', id, tags: next });
    return message.tags;
  }

  /** Notes a release to the relay on the message (kept with it, shown as a badge) and emits `message.updated`. */
  recordRelay(id: string, record: RelayRecord): boolean {
    if (!this.#byId.has(id)) return false;
    this.#commit({ kind: 'recordRelay', id, record });
    return true;
  }

  /** STORE semantics. Emits `placement.flags` for each placement whose flags changed, then `message.updated` once per message. */
  setFlags(placements: readonly Placement[], flags: readonly string[], mode: FlagMode, origin?: unknown): Placement[] {
    const changes: Array<PlacementKey & { flags: string[] }> = [];
    const found: Placement[] = [];
    for (const p of placements) {
      if (p.flags === this.#noFlags && (mode === 'remove' || flags.length === 0)) continue; // nothing to change
      if (!isPlaced(p)) continue;
      const next = new Set(mode === 'set' ? flags : p.flags);
      if (mode === 'add') for (const f of flags) next.add(f);
      else if (mode === 'remove') for (const f of flags) next.delete(f);
      if (sameFlags(next, p.flags)) continue;
      changes.push({ mailbox: p.mailbox, folder: p.folder.name, uid: p.uid, flags: [...next] });
      found.push(p);
    }
    if (changes.length === 0) return [];
    return this.#commit({ kind: 'setFlags', placements: changes }, origin, found) as Placement[];
  }

  /** IMAP EXPUNGE / POP3 commit: removes placements; a message left with none is deleted. */
  removePlacements(placements: readonly Placement[], origin?: unknown): void {
    const gone = new Set<Placement>();
    for (const p of placements) if (isPlaced(p)) gone.add(p);
    if (gone.size === 0) return;
    const goneOf = new Map<StoredMessage, number>();
    for (const p of gone) goneOf.set(p.message, (goneOf.get(p.message) ?? 0) + 1);
    const forgotten: string[] = [];
    for (const [m, n] of goneOf) if (placedCount(placedOf(m)) <= n) forgotten.push(m.id);
    this.#commit({ kind: 'removePlacements', placements: [...gone].map(keyOf), forgotten }, origin, [...gone]);
  }

  /** IMAP COPY into a folder: a new placement of the same message, with a new UID. */
  copyPlacement(source: Placement, target: Folder, flags?: readonly string[], origin?: unknown): Placement {
    return this.copyPlacements([source], target, origin, flags)[0];
  }

  /**
   * IMAP COPY/MOVE: new placements in `target`, all or none. Refused with LIMIT when the folder would pass
   * `maxFolderMessages`, and with OVERQUOTA (not for a MOVE) past the mailbox's quota. Emits `placement.added` per
   * copy and `message.updated` once per message.
   */
  copyPlacements(sources: readonly Placement[], target: Folder, origin?: unknown, flags?: readonly string[], isMove = false): Placement[] {
    this.#limits.checkFolderRoom(target, sources.length);
    // A MOVE within one mailbox takes no more of its quota: the sources go right after.
    if (!isMove) this.#limits.checkQuota(this.#mailboxes.get(target.mailbox), sources.length, sources.reduce((n, s) => n + s.message.size, 0));
    return this.#copy(sources, target, origin, flags);
  }

  /**
   * Why a delivery to `address`'s INBOX would be refused now (SMTP asks at RCPT TO, to answer that recipient
   * alone), or null when it would be accepted.
   */
  refusalFor(address: string): DeliveryRefusal | null {
    const mailbox = this.getMailbox(address);
    if (mailbox && !this.#limits.hasQuotaRoom(mailbox, 1, 1)) return 'over-quota';
    const inbox = mailbox?.folders.get('INBOX');
    if (inbox) return this.#limits.hasFolderRoom(inbox, 1) ? null : 'folder-full';
    return this.#limits.hasMailboxRoom(this.#mailboxes.size, 1) ? null : 'too-many-mailboxes';
  }

  /**
   * Marks the folder's `\Recent` placements as claimed and returns them (the first session to select gets them).
   * Session state (RFC 3501 §2.3.2.): not a change record; after a restart nothing is recent.
   */
  claimRecent(folder: Folder): Set<Placement> {
    const claimed = new Set<Placement>();
    for (const p of folder.placements) {
      if (p.recent) {
        p.recent = false;
        claimed.add(p);
      }
    }
    return claimed;
  }

  // ---- mailboxes and folders ----

  getMailbox(address: string): Mailbox | undefined {
    return this.#mailboxes.get(normalizeAddress(address));
  }

  /** Returns the mailbox, creating it (with the default folders) on first use. */
  ensureMailbox(address: string): Mailbox {
    const key = normalizeAddress(address);
    const mailbox = this.#mailboxes.get(key);
    if (mailbox) return mailbox;
    this.#limits.checkMailboxRoom(this.#mailboxes.size, 1);
    const folders: FolderRecord[] = defaultFolders.map((f, i) => ({ name: f.name, uidValidity: this.#nextUidValidity + i, specialUse: f.specialUse, subscribed: true }));
    return this.#commit({ kind: 'createMailbox', address: key, createdAt: new Date(), folders }) as Mailbox;
  }

  mailboxes(): Mailbox[] {
    return [...this.#mailboxes.values()];
  }

  /** Drops a mailbox and its placements; messages left with no placement are deleted. */
  deleteMailbox(address: string, origin?: unknown): boolean {
    const mailbox = this.getMailbox(address);
    if (!mailbox) return false;
    // One batch for the whole mailbox: linear in its placements, one event per message.
    const all: Placement[] = [];
    for (const folder of mailbox.folders.values()) for (const p of folder.placements) all.push(p);
    this.removePlacements(all, origin);
    this.#commit({ kind: 'deleteMailbox', address: mailbox.address }, origin);
    return true;
  }

  getFolder(address: string, name: string): Folder | undefined {
    return this.getMailbox(address)?.folders.get(normalizeFolderName(name));
  }

  /**
   * A new folder, subscribed unless `subscribed: false` (IMAP CREATE's implied superiors and placeholders), with a
   * special use when given (IMAP CREATE-SPECIAL-USE).
   */
  createFolder(address: string, name: string, options: { subscribed?: boolean; specialUse?: SpecialUse } = {}): Folder {
    const key = normalizeFolderName(name);
    const existing = this.getMailbox(address);
    if (existing?.folders.has(key)) throw new StoreError('ALREADYEXISTS', `Folder ${key} already exists`);
    if (!key || key.split('/').some((part) => part === '')) throw new StoreError('INVALID', 'Invalid folder name');
    if (existing) this.#limits.checkFolderCount(existing);
    const mailbox = this.ensureMailbox(address);
    this.#limits.checkFolderCount(mailbox);
    const folder: FolderRecord = { name: key, uidValidity: this.#nextUidValidity, specialUse: options.specialUse, subscribed: options.subscribed ?? true };
    return this.#commit({ kind: 'createFolder', mailbox: mailbox.address, folder }) as Folder;
  }

  /** Deletes a folder and its placements. INBOX can't be deleted. Children are left in place (RFC 3501 §6.3.4). */
  deleteFolder(address: string, name: string, origin?: unknown): void {
    const mailbox = this.getMailbox(address);
    const key = normalizeFolderName(name);
    const folder = mailbox?.folders.get(key);
    if (!mailbox || !folder) throw new StoreError('NONEXISTENT', `No folder ${key}`);
    if (key === 'INBOX') throw new StoreError('CANNOT', 'INBOX cannot be deleted');
    this.removePlacements([...folder.placements], origin);
    this.#commit({ kind: 'deleteFolder', mailbox: mailbox.address, name: key }, origin);
  }

  /**
   * Renames a folder and its children. Renaming INBOX moves its messages to a new folder and leaves INBOX
   * empty (RFC 3501 §6.3.5).
   */
  renameFolder(address: string, from: string, to: string, origin?: unknown): void {
    const mailbox = this.getMailbox(address);
    const oldKey = normalizeFolderName(from);
    const newKey = normalizeFolderName(to);
    const folder = mailbox?.folders.get(oldKey);
    if (!mailbox || !folder) throw new StoreError('NONEXISTENT', `No folder ${oldKey}`);
    if (mailbox.folders.has(newKey)) throw new StoreError('ALREADYEXISTS', `Folder ${newKey} already exists`);
    if (oldKey === 'INBOX') {
      const target = this.createFolder(mailbox.address, newKey);
      const moving = [...folder.placements];
      this.#copy(moving, target, origin);
      this.removePlacements(moving, origin);
      return;
    }
    this.#commit({ kind: 'renameFolder', mailbox: mailbox.address, from: oldKey, to: newKey }, origin);
  }

  /**
   * Gives a folder a new, greater UIDVALIDITY and renumbers its messages from UID 1 (SPEC §13, a mail-client
   * state fault). Sessions with the folder selected hear of it through `folder.uidvalidity` and must end.
   */
  renewUidValidity(address: string, name: string): Folder {
    const folder = this.getFolder(address, name);
    if (!folder) throw new StoreError('NONEXISTENT', `No folder ${normalizeFolderName(name)} in ${normalizeAddress(address)}`);
    const uidValidity = Math.max(this.#nextUidValidity, folder.uidValidity + 1);
    return this.#commit({ kind: 'renewUidValidity', mailbox: folder.mailbox, folder: folder.name, uidValidity }) as Folder;
  }

  setSubscribed(folder: Folder, subscribed: boolean): void {
    if (folder.subscribed === subscribed) return;
    this.#commit({ kind: 'subscribe', mailbox: folder.mailbox, name: folder.name, subscribed });
  }

  /**
   * IMAP SUBSCRIBE/UNSUBSCRIBE by name: a folder's flag when it exists, else the mailbox's set of subscribed names
   * without a folder (a subscription outlives DELETE; UNSUBSCRIBE of such a name cleans it up).
   */
  setSubscribedName(address: string, name: string, subscribed: boolean): void {
    const mailbox = this.getMailbox(address);
    if (!mailbox) throw new StoreError('NONEXISTENT', `No mailbox ${normalizeAddress(address)}`);
    const key = normalizeFolderName(name);
    const folder = mailbox.folders.get(key);
    if (folder) return this.setSubscribed(folder, subscribed);
    if (mailbox.lostSubscriptions.has(key) === subscribed) return;
    this.#commit({ kind: 'subscribe', mailbox: mailbox.address, name: key, subscribed });
  }

  /**
   * Deletes messages received before `cutoff` (the durable store's `--max-age`), oldest first, counted as
   * evictions by age. Returns how many went.
   */
  evictOlderThan(cutoff: Date): number {
    let n = 0;
    while (this.#order.length > 0 && this.#order[0].receivedAt < cutoff) {
      this.#evictedBy.maxAge++;
      this.deleteMessage(this.#order[0].id, undefined, 'evicted');
      n++;
    }
    return n;
  }

  stats(): StoreStats {
    const { maxMessages, maxAge, maxSize } = this.#evictedBy;
    return {
      messages: this.#order.length,
      mailboxes: this.#mailboxes.size,
      received: this.#received,
      evicted: maxMessages + maxAge + maxSize,
      evictedBy: { maxMessages, maxAge, maxSize },
      bytes: this.#bytes,
    };
  }

  // ---- the change log ----

  /**
   * Applies a change record decided elsewhere (replay, or another process sharing the backend) to the model,
   * without writing it to the backend; emits the same events as the call that made it. Returns what that call returns.
   */
  applyChange(change: StoreChange, origin?: unknown): unknown {
    this.#applyingRemote++;
    try {
      return this.#apply(change, origin);
    } finally {
      this.#applyingRemote--;
    }
  }

  /**
   * True while `applyChange` runs: the events being emitted describe a change made elsewhere (another node sharing
   * the backend). Listeners with side effects outside the sandbox (webhooks, --relay-auto, per-node counters) act
   * only on changes made here, so a change fires them once however many nodes apply it.
   */
  get isApplyingRemote(): boolean {
    return this.#applyingRemote > 0;
  }

  /** Backend first (a synchronous write that throws leaves the model untouched), then the model. */
  #commit(change: StoreChange, origin?: unknown, placements?: readonly Placement[]): unknown {
    // A backend throws StoreError FULL when it cannot write (a full disk); the model is then left as it was.
    const written = this.#backend.write(change);
    if (written) this.#track(written);
    return this.#apply(change, origin, placements);
  }

  #track(write: Promise<void>): void {
    const all: Promise<void> = (this.#pending ? Promise.all([this.#pending, write]).then(() => undefined) : write).finally(() => {
      if (this.#pending === all) this.#pending = null;
    });
    // A rejection is reported to whoever awaits durable(); this catch only keeps it from being "unhandled".
    all.catch(() => undefined);
    this.#pending = all;
  }

  /**
   * `placements`, when given, are the Placement objects the record's keys name (in order), already looked up by the
   * caller: removing 150,000 copies then costs no second search per copy.
   */
  #apply(change: StoreChange, origin: unknown, placements?: readonly Placement[]): unknown {
    switch (change.kind) {
      case 'createMailbox': {
        const folders = new Map<string, Folder>();
        for (const f of change.folders) {
          folders.set(f.name, createFolder(change.address, f.name, f.uidValidity, f.specialUse, f.subscribed));
          this.#sawUidValidity(f.uidValidity);
        }
        const mailbox: Mailbox = { address: change.address, createdAt: change.createdAt, folders, pop3LockedBy: null, usage: { messages: 0, bytes: 0 }, lostSubscriptions: new Set() };
        this.#mailboxes.set(change.address, mailbox);
        this.emit('mailbox.added', mailbox);
        return mailbox;
      }
      case 'deleteMailbox': {
        const mailbox = this.#mailboxes.get(change.address);
        if (!mailbox) return false;
        this.#mailboxes.delete(change.address);
        this.emit('mailbox.removed', mailbox);
        return true;
      }
      case 'createFolder': {
        const mailbox = this.#mailboxOrThrow(change.mailbox);
        const f = change.folder;
        // A name still subscribed from a deleted folder is subscribed again (Dovecot keeps subscriptions by name).
        const folder = createFolder(mailbox.address, f.name, f.uidValidity, f.specialUse, mailbox.lostSubscriptions.delete(f.name) || f.subscribed);
        this.#sawUidValidity(f.uidValidity);
        mailbox.folders.set(f.name, folder);
        this.emit('folder.added', folder);
        return folder;
      }
      case 'deleteFolder': {
        const mailbox = this.#mailboxOrThrow(change.mailbox);
        const folder = mailbox.folders.get(change.name);
        if (!folder) return undefined;
        mailbox.folders.delete(change.name);
        if (folder.subscribed) mailbox.lostSubscriptions.add(folder.name);
        this.emit('folder.removed', folder);
        return undefined;
      }
      case 'renameFolder': {
        const mailbox = this.#mailboxOrThrow(change.mailbox);
        const { from, to } = change;
        const renames = [...mailbox.folders.values()].filter((f) => f.name === from || f.name.startsWith(from + '/'));
        for (const f of renames) {
          const oldName = f.name;
          mailbox.folders.delete(oldName);
          f.name = to + oldName.slice(from.length);
          mailbox.folders.set(f.name, f);
          if (mailbox.lostSubscriptions.delete(f.name)) f.subscribed = true;
          this.emit('folder.renamed', f, oldName);
        }
        return undefined;
      }
      case 'subscribe': {
        const mailbox = this.#mailboxOrThrow(change.mailbox);
        const folder = mailbox.folders.get(change.name);
        if (folder) folder.subscribed = change.subscribed;
        else if (change.subscribed) mailbox.lostSubscriptions.add(change.name);
        else mailbox.lostSubscriptions.delete(change.name);
        return undefined;
      }
      case 'deliver': {
        const r = change.message;
        const message = this.#makeMessage(r, r.raw.length, emptyList, r.raw);
        this.#nextSeq = Math.max(this.#nextSeq, r.seq + 1);
        this.#order.push(message);
        this.#byId.set(message.id, message);
        this.#received++;
        this.#bytes += message.size;
        for (const p of change.placements) this.#place(message, this.#folderOrThrow(p.mailbox, p.folder), p.uid, p.flags, p.internalDate, origin);
        this.emit('message.added', message);
        return message;
      }
      case 'copy': {
        const copies: Placement[] = [];
        const touched = new Set<StoredMessage>();
        for (const p of change.placements) {
          const message = this.#byId.get(p.messageId);
          if (!message) continue;
          copies.push(this.#place(message, this.#folderOrThrow(p.mailbox, p.folder), p.uid, p.flags, p.internalDate, origin));
          touched.add(message);
        }
        for (const m of touched) this.emit('message.updated', m);
        return copies;
      }
      case 'setFlags': {
        const changed: Placement[] = [];
        for (const [i, c] of change.placements.entries()) {
          const p = placements ? placements[i] : this.#placementAt(c);
          if (!p) continue;
          const wasSeen = p.flags.has('\\Seen');
          const own = this.#ownFlags(p);
          own.clear();
          for (const f of c.flags) own.add(f);
          const placed = placedOf(p.message);
          if (placed instanceof MessagePlacements) placed.seenChanged(wasSeen, own.has('\\Seen'));
          p.modseq = nextModseq(p.folder);
          changed.push(p);
        }
        for (const p of changed) this.emit('placement.flags', p, origin);
        for (const m of new Set(changed.map((p) => p.message))) this.emit('message.updated', m);
        return changed;
      }
      case 'removePlacements': {
        const gone = new Set<Placement>();
        const touched = new Set<StoredMessage>();
        for (const [i, key] of change.placements.entries()) {
          const p = placements ? placements[i] : this.#placementAt(key);
          if (!p) continue;
          gone.add(p);
          touched.add(p.message);
        }
        this.#unplace(gone, origin);
        // One event per message, however many of its copies went.
        for (const m of touched) {
          if (placedCount(placedOf(m)) > 0) this.emit('message.updated', m);
          else this.#forget(m, 'expunged');
        }
        for (const id of change.forgotten) {
          const m = this.#byId.get(id);
          if (m) this.#forget(m, 'expunged');
        }
        return undefined;
      }
      case 'deleteMessage': {
        const message = this.#byId.get(change.id);
        if (!message) return false;
        this.#unplace(new Set(placedItems(placedOf(message))), origin);
        this.#forget(message, change.reason);
        return true;
      }
      case 'clear': {
        for (const mb of this.#mailboxes.values()) {
          mb.usage = { messages: 0, bytes: 0 };
          for (const f of mb.folders.values()) {
            const gone = f.placements.splice(0);
            if (gone.length) recordVanished(f, gone.map((p) => p.uid), nextModseq(f));
            for (const p of gone) this.emit('placement.removed', p, origin);
          }
        }
        for (const m of this.#order) setPlaced(m, undefined);
        this.#order.length = 0;
        this.#byId.clear();
        this.#bytes = 0;
        this.emit('store.cleared');
        return undefined;
      }
      case 'setTags': {
        const message = this.#byId.get(change.id);
        if (!message) return undefined;
        message.tags = change.tags;
        // Tags are message metadata too: a CONDSTORE client's CHANGEDSINCE sees the message as changed.
        for (const p of placedItems(placedOf(message))) p.modseq = nextModseq(p.folder);
        this.emit('message.updated', message);
        return change.tags;
      }
      case 'recordRelay': {
        const message = this.#byId.get(change.id);
        if (!message) return false;
        message.relays = [...message.relays, change.record];
        this.emit('message.updated', message);
        return true;
      }
      case 'renewUidValidity': {
        const folder = this.#folderOrThrow(change.mailbox, change.folder);
        (folder as { uidValidity: number }).uidValidity = change.uidValidity;
        this.#sawUidValidity(change.uidValidity);
        folder.placements.forEach((p, i) => ((p as { uid: number }).uid = i + 1));
        resetVanished(folder);
        folder.uidNext = folder.placements.length + 1;
        this.emit('folder.uidvalidity', folder);
        return folder;
      }
      case 'addFaultRule':
      case 'removeFaultRules':
      case 'faultHit':
        return this.faults.apply(change);
      default:
        return assertNever(change);
    }
  }

  /** Builds the model from a backend's snapshot at open: no events (nothing listens yet), no writes. */
  #restore(snapshot: StoreSnapshot): void {
    this.#nextSeq = Math.max(this.#nextSeq, snapshot.nextSeq);
    this.#nextUidValidity = snapshot.nextUidValidity;
    const persisted: Array<[Folder, number]> = [];
    for (const mb of snapshot.mailboxes) {
      const folders = new Map<string, Folder>();
      for (const f of mb.folders) {
        const folder = createFolder(mb.address, f.name, f.uidValidity, f.specialUse, f.subscribed);
        folder.uidNext = f.uidNext;
        folder.vanished = f.vanished;
        persisted.push([folder, f.highestModseq]);
        folders.set(f.name, folder);
        this.#sawUidValidity(f.uidValidity);
      }
      this.#mailboxes.set(mb.address, { address: mb.address, createdAt: mb.createdAt, folders, pop3LockedBy: null, usage: { messages: 0, bytes: 0 }, lostSubscriptions: new Set(mb.lostSubscriptions) });
    }
    const unsorted = new Set<Folder>();
    for (const { message: r, relays, placements } of snapshot.messages) {
      const message = this.#makeMessage(r, r.size, relays, r.raw);
      this.#nextSeq = Math.max(this.#nextSeq, r.seq + 1);
      this.#order.push(message);
      this.#byId.set(message.id, message);
      this.#bytes += message.size;
      for (const p of placements) {
        const folder = this.#folderOrThrow(p.mailbox, p.folder);
        const list = folder.placements;
        if (list.length > 0 && list[list.length - 1].uid > p.uid) unsorted.add(folder);
        const placement = this.#place(message, folder, p.uid, p.flags, p.internalDate, undefined, false);
        placement.recent = false;
        placement.modseq = p.modseq;
      }
    }
    for (const f of unsorted) f.placements.sort((a, b) => a.uid - b.uid);
    this.#order.sort((a, b) => a.seq - b.seq);
    // #place raised each folder's HIGHESTMODSEQ once per placement: put back the persisted values (kept exactly).
    for (const [folder, highest] of persisted) folder.highestModseq = highest;
    if (snapshot.faultRules) this.faults.restore(snapshot.faultRules);
  }

  // ---- internals ----

  #makeMessage(r: Omit<MessageRecord, 'raw'>, size: number, relays: readonly RelayRecord[], raw: Buffer | undefined): StoredMessage {
    if (!this.#readRaw) {
      if (!raw) throw new Error(`The store backend gave message ${r.id} without its bytes`);
      return new MemoryMessage(r, raw, relays, this.#bodies ? packTranscript(this.#bodies, raw, r.transcript) : 0);
    }
    const fields = {
      id: r.id,
      seq: r.seq,
      receivedAt: r.receivedAt,
      size,
      envelope: r.envelope,
      source: r.source,
      connection: r.connection,
      summary: r.summary ?? (raw ? summarizeHeaders(raw, this.#strings) : missing(r.id, 'summary')),
      transcript: r.transcript,
      tags: r.tags ?? emptyList,
      relays,
    };
    return new LazyRawMessage(fields, this.#readRaw);
  }

  #sawUidValidity(v: number): void {
    if (v >= this.#nextUidValidity) this.#nextUidValidity = v + 1;
  }

  #mailboxOrThrow(address: string): Mailbox {
    const mailbox = this.#mailboxes.get(address);
    if (!mailbox) throw new StoreError('NONEXISTENT', `No mailbox ${address}`);
    return mailbox;
  }

  #folderOrThrow(address: string, name: string): Folder {
    const folder = this.#mailboxOrThrow(address).folders.get(name);
    if (!folder) throw new StoreError('NONEXISTENT', `No folder ${name} in ${address}`);
    return folder;
  }

  #placementAt(key: PlacementKey): Placement | undefined {
    const list = this.#mailboxes.get(key.mailbox)?.folders.get(key.folder)?.placements;
    if (!list) return undefined;
    const i = uidIndex(list, key.uid);
    return i >= 0 ? list[i] : undefined;
  }

  #copy(sources: readonly Placement[], target: Folder, origin: unknown, flags?: readonly string[]): Placement[] {
    const placements = sources.map((s, i) => ({
      messageId: s.message.id,
      mailbox: target.mailbox,
      folder: target.name,
      uid: target.uidNext + i,
      flags: [...(flags ?? s.flags)],
      internalDate: s.internalDate,
    }));
    if (placements.length === 0) return [];
    return this.#commit({ kind: 'copy', placements }, origin) as Placement[];
  }

  /**
   * Checks every target folder and limit before creating any mailbox, so a refused delivery leaves nothing behind.
   * A target is a recipient's address for its INBOX (the usual delivery: no target object is made per recipient) or
   * a mailbox and folder with flags and a date.
   */
  #resolveTargets(targets: ReadonlyArray<DeliveryTarget | string>, size: number): Array<{ folder: Folder; flags: readonly string[]; internalDate?: Date }> {
    let newMailboxes: Set<string> | undefined;
    // The folders found on the way (null: its mailbox is made below), so a mailbox is looked up once per target.
    const found = new Array<Folder | null>(targets.length);
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      const key = normalizeAddress(typeof t === 'string' ? t : t.mailbox);
      const name = typeof t === 'string' ? 'INBOX' : normalizeFolderName(t.folder ?? 'INBOX');
      const mailbox = this.#mailboxes.get(key);
      const folder = mailbox?.folders.get(name);
      if (!(mailbox ? folder : defaultFolders.some((f) => f.name === name))) throw new StoreError('NONEXISTENT', `No folder ${name} in ${key}`);
      if (folder) this.#limits.checkFolderRoom(folder, 1);
      this.#limits.checkQuota(mailbox, 1, size);
      if (!mailbox) (newMailboxes ??= new Set()).add(key);
      found[i] = folder ?? null;
    }
    this.#limits.checkMailboxRoom(this.#mailboxes.size, newMailboxes?.size ?? 0);
    return targets.map((t, i) =>
      typeof t === 'string'
        ? { folder: found[i] ?? (this.ensureMailbox(t).folders.get('INBOX') as Folder), flags: emptyList }
        : { folder: found[i] ?? (this.ensureMailbox(t.mailbox).folders.get(normalizeFolderName(t.folder ?? 'INBOX')) as Folder), flags: t.flags ?? emptyList, internalDate: t.internalDate },
    );
  }

  #place(message: StoredMessage, folder: Folder, uid: number, flags: readonly string[], internalDate: Date, origin: unknown, emit = true): Placement {
    // Nearly every placement's INTERNALDATE is its message's arrival: then it reads the message's (no Date of its own).
    const own = internalDate.getTime() === receivedTimeOf(message) ? null : internalDate;
    const placement = new StoredPlacement(message, folder, uid, flags.length ? new Set(flags) : this.#noFlags, own, nextModseq(folder));
    if (uid >= folder.uidNext) folder.uidNext = uid + 1;
    folder.placements.push(placement);
    this.#countUsage(folder.mailbox, 1, message.size);
    setPlaced(message, withPlacement(placedOf(message), placement));
    if (emit) this.emit('placement.added', placement, origin);
    return placement;
  }

  #countUsage(address: string, messages: number, bytes: number): void {
    const usage = this.#mailboxes.get(address)?.usage;
    if (!usage) return;
    usage.messages += messages;
    usage.bytes += bytes;
  }

  /** The placement's own flag set, swapped in for the shared empty one before its first change. */
  #ownFlags(p: Placement): Set<string> {
    if (p.flags === this.#noFlags) (p as { flags: Set<string> }).flags = new Set();
    return p.flags;
  }

  /** Removes placements from their folders and messages, one pass per folder and per message (never one splice each). */
  #unplace(gone: ReadonlySet<Placement>, origin: unknown): void {
    const byFolder = new Map<Folder, Set<Placement>>();
    const byMessage = new Map<StoredMessage, Set<Placement>>();
    for (const p of gone) {
      groupInto(byFolder, p.folder, p);
      groupInto(byMessage, p.message, p);
    }
    for (const [folder, set] of byFolder) {
      removeFromFolder(folder, set);
      // One MODSEQ per folder for the whole batch: it is one change, as an EXPUNGE is.
      recordVanished(folder, [...set].map((p) => p.uid), nextModseq(folder));
      let bytes = 0;
      for (const p of set) bytes += p.message.size;
      this.#countUsage(folder.mailbox, -set.size, bytes === 0 ? 0 : -bytes);
    }
    for (const [message, set] of byMessage) setPlaced(message, withoutPlacements(placedOf(message), set));
    for (const p of gone) this.emit('placement.removed', p, origin);
  }

  #forget(message: StoredMessage, reason: DeleteReason): void {
    if (!this.#byId.has(message.id)) return;
    const i = this.#indexAfter(message.seq - 1);
    if (this.#order[i] === message) this.#order.splice(i, 1);
    if (this.#byId.delete(message.id)) this.#bytes -= message.size;
    setPlaced(message, undefined);
    this.emit('message.deleted', message, reason);
  }

  /** Oldest first, until both the message cap and the byte budget hold (the newest message always stays). */
  #enforceRetention(): void {
    const { maxMessages, maxSize = 0 } = this.options;
    while (this.#order.length > 1) {
      const cause = maxMessages > 0 && this.#order.length > maxMessages ? 'maxMessages' : maxSize > 0 && this.#bytes > maxSize ? 'maxSize' : null;
      if (!cause) return;
      this.#evictedBy[cause]++;
      this.deleteMessage(this.#order[0].id, undefined, 'evicted');
    }
  }

  /** Index of the first message with seq > afterSeq. */
  #indexAfter(afterSeq: number): number {
    let lo = 0;
    let hi = this.#order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#order[mid].seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function missing(id: string, what: string): never {
  throw new Error(`The store backend gave message ${id} without its ${what}`);
}

function keyOf(p: Placement): PlacementKey {
  return { mailbox: p.mailbox, folder: p.folder.name, uid: p.uid };
}

function sameFlags(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const f of a) if (!b.has(f)) return false;
  return true;
}

function groupInto<K>(groups: Map<K, Set<Placement>>, key: K, p: Placement): void {
  const set = groups.get(key);
  if (set) set.add(p);
  else groups.set(key, new Set([p]));
}
