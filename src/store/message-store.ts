import { randomInt } from 'node:crypto';
import { newMessageId } from './message-id.js';
import { TypedEmitter } from '../shared/typed-emitter.js';
import { StringPool, summarizeHeaders } from '../mime/header-summary.js';
import { arrivalTags, normalizeTags } from './tags.js';
import { createMailbox, createFolder, defaultFolders, isPlaced, normalizeAddress, normalizeFolderName, removeFromFolder } from './mailbox.js';
import { MessagePlacements } from './message-placements.js';
import { StoreLimits, type DeliveryRefusal } from './store-limits.js';
import { nextModseq, recordVanished, resetVanished } from './modseq.js';

import type { StoreEvents, DeleteReason } from './events.js';
import { FaultRuleSet } from './fault-rules.js';
import { NoFlags, StoreError, type DeliveryInput, type RelayRecord, type FlagMode, type Folder, type Mailbox, type Placement, type SpecialUse, type StoreOptions, type StoreStats, type StoredMessage } from './types.js';

export { StoreError } from './types.js';
export type { FlagMode, StoreOptions, StoreStats } from './types.js';

/**
 * The one place that mutates mail state. Protocols and HTTP read from it and subscribe to its events;
 * every mutation emits synchronously, so a change in one protocol is seen by the others before the call returns.
 *
 * `origin` arguments are opaque tokens passed back in events, so a session can tell its own changes from others'.
 */
export class MessageStore extends TypedEmitter<StoreEvents> {
  /** Oldest first; `seq` ascending, so lookups by seq are binary searches. */
  readonly #order: StoredMessage[] = [];
  readonly #byId = new Map<string, StoredMessage>();
  /** Placements per message id, with the counts a summary needs (see MessagePlacements). */
  readonly #placements = new Map<string, MessagePlacements>();
  readonly #mailboxes = new Map<string, Mailbox>();
  /** The flags of every placement that has none: one shared set (see NoFlags). */
  readonly #noFlags = new NoFlags();
  /** Addresses repeat across messages; each message would otherwise hold its own copies. */
  readonly #strings = new StringPool();
  #nextSeq = 1;
  /**
   * A random start, not the clock: five folders per mailbox made the counter run ahead of the clock, so a restart
   * could hand a new INBOX the UIDVALIDITY an old one had, and a caching client (or a POP3 UIDL) would take new mail
   * for old. Below 2^31 so years of increments stay within the 32-bit field.
   */
  #nextUidValidity = randomInt(1, 2 ** 31);
  #received = 0;
  /** Bytes of the stored messages (`--max-size`). */
  #bytes = 0;
  readonly #evictedBy = { maxMessages: 0, maxSize: 0 };
  readonly #limits: StoreLimits;
  /** Fault injection rules (SPEC §13): kept with the store so a durable backend keeps them too. */
  readonly faults = new FaultRuleSet();

  constructor(readonly options: StoreOptions) {
    super();
    this.#limits = new StoreLimits(options);
  }

  // ---- messages ----

  /**
   * Stores a message and places it in each target folder (default: every envelope recipient's INBOX).
   * Throws StoreError NONEXISTENT when a target folder does not exist (IMAP APPEND answers `[TRYCREATE]`).
   */
  deliver(input: DeliveryInput, origin?: unknown): StoredMessage {
    const targets: NonNullable<DeliveryInput['targets']> = input.targets ?? input.envelope.rcptTo.map((mailbox) => ({ mailbox }));
    if (targets.length === 0) throw new StoreError('INVALID', 'A message needs at least one recipient mailbox');
    if (input.id !== undefined && this.#byId.has(input.id)) throw new StoreError('ALREADYEXISTS', `Message id ${input.id} is taken`);
    const resolved = this.#resolveTargets(targets, input.raw.length);
    const receivedAt = input.receivedAt ?? new Date();
    const message: StoredMessage = {
      id: input.id ?? newMessageId(),
      seq: this.#nextSeq++,
      raw: input.raw,
      receivedAt,
      size: input.raw.length,
      envelope: {
        mailFrom: this.#strings.intern(input.envelope.mailFrom),
        rcptTo: input.envelope.rcptTo.map((a) => this.#strings.intern(a)),
      },
      source: input.source,
      connection: input.connection ?? { tls: false },
      summary: summarizeHeaders(input.raw, this.#strings),
      transcript: input.transcript,
      tags: input.tags ? normalizeTags(input.tags) : arrivalTags(input.raw, input.envelope.rcptTo),
      relays: [],
    };
    this.#order.push(message);
    this.#byId.set(message.id, message);
    const own = new MessagePlacements();
    this.#placements.set(message.id, own);
    this.#received++;
    this.#bytes += message.size;
    // One placement per folder: a message addressed twice to one mailbox (To and Bcc) is delivered once.
    const seenFolders = new Set<Folder>();
    for (const t of resolved) {
      if (seenFolders.has(t.folder)) continue;
      seenFolders.add(t.folder);
      this.#place(message, t.folder, t.flags, t.internalDate ?? receivedAt, origin);
    }
    // The first push gave the list room for 17 entries (~150 bytes); a copy is exactly as long as it needs to be.
    own.compact();
    this.emit('message.added', message);
    this.#enforceRetention();
    return message;
  }

  get(id: string): StoredMessage | undefined {
    return this.#byId.get(id);
  }

  /** Every placement of a message (empty once deleted). */
  placementsOf(message: StoredMessage): Placement[] {
    return [...(this.#placements.get(message.id)?.items ?? [])];
  }

  /** Lower-cased addresses of the mailboxes holding the message; costs the number of mailboxes, not of copies. */
  mailboxesOf(message: StoredMessage): string[] {
    return this.#placements.get(message.id)?.mailboxes ?? [];
  }

  isSeen(message: StoredMessage): boolean {
    return this.#placements.get(message.id)?.isSeen ?? false;
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

  /** Removes a message from every mailbox. Returns false when no such message. */
  deleteMessage(id: string, origin?: unknown, reason: DeleteReason = 'deleted'): boolean {
    const message = this.#byId.get(id);
    if (!message) return false;
    this.#unplace(new Set(this.#placements.get(id)?.items), origin);
    this.#forget(message, reason);
    return true;
  }

  /**
   * Deletes every message. Mailboxes and their folders stay (IMAP sessions get EXPUNGEs, not a vanished folder);
   * `deleteMailbox()` drops a mailbox.
   */
  clear(origin?: unknown): void {
    for (const mb of this.#mailboxes.values()) {
      mb.usage = { messages: 0, bytes: 0 };
      for (const f of mb.folders.values()) {
        const gone = f.placements.splice(0);
        if (gone.length) recordVanished(f, gone.map((p) => p.uid), nextModseq(f));
        for (const p of gone) this.emit('placement.removed', p, origin);
      }
    }
    this.#order.length = 0;
    this.#byId.clear();
    this.#placements.clear();
    this.#bytes = 0;
    this.emit('store.cleared');
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
    message.tags = next;
    // Tags are message metadata too: a CONDSTORE client's CHANGEDSINCE sees the message as changed.
    for (const p of this.#placements.get(id)?.items ?? []) p.modseq = nextModseq(p.folder);
    this.emit('message.updated', message);
    return next;
  }

  /** Notes a release to the relay on the message (kept with it, shown as a badge) and emits `message.updated`. */
  recordRelay(id: string, record: RelayRecord): boolean {
    const message = this.#byId.get(id);
    if (!message) return false;
    message.relays = [...message.relays, record];
    this.emit('message.updated', message);
    return true;
  }

  /** STORE semantics. Emits `placement.flags` for each placement whose flags changed, then `message.updated` once per message. */
  setFlags(placements: readonly Placement[], flags: readonly string[], mode: FlagMode, origin?: unknown): Placement[] {
    const changed: Placement[] = [];
    for (const p of placements) {
      if (p.flags === this.#noFlags && (mode === 'remove' || flags.length === 0)) continue; // nothing to change
      const before = [...p.flags].sort().join(' ');
      const wasSeen = p.flags.has('\\Seen');
      const own = this.#ownFlags(p);
      if (mode === 'set') {
        own.clear();
        for (const f of flags) own.add(f);
      } else if (mode === 'add') for (const f of flags) own.add(f);
      else for (const f of flags) own.delete(f);
      this.#placements.get(p.message.id)?.seenChanged(wasSeen, own.has('\\Seen'));
      if ([...own].sort().join(' ') !== before) {
        p.modseq = nextModseq(p.folder);
        changed.push(p);
      }
    }
    for (const p of changed) this.emit('placement.flags', p, origin);
    for (const m of new Set(changed.map((p) => p.message))) this.emit('message.updated', m);
    return changed;
  }

  /** IMAP EXPUNGE / POP3 commit: removes placements; a message left with none is deleted. */
  removePlacements(placements: readonly Placement[], origin?: unknown): void {
    const gone = new Set<Placement>();
    const touched = new Set<StoredMessage>();
    for (const p of placements) {
      if (!isPlaced(p)) continue;
      gone.add(p);
      touched.add(p.message);
    }
    this.#unplace(gone, origin);
    // One event per message, however many of its copies went.
    for (const m of touched) {
      if (this.#placements.get(m.id)?.items.length) this.emit('message.updated', m);
      else this.#forget(m, 'expunged');
    }
  }

  /** IMAP COPY into a folder: a new placement of the same message, with a new UID. */
  copyPlacement(source: Placement, target: Folder, flags?: readonly string[], origin?: unknown): Placement {
    return this.copyPlacements([source], target, origin, flags)[0];
  }

  /**
   * IMAP COPY/MOVE: new placements in `target`, all or none. Refused with LIMIT when the folder would pass
   * `maxFolderMessages`, and with OVERQUOTA (not for a MOVE) past the mailbox's quota. Emits `placement.added` per copy and `message.updated` once per message.
   */
  copyPlacements(sources: readonly Placement[], target: Folder, origin?: unknown, flags?: readonly string[], isMove = false): Placement[] {
    this.#limits.checkFolderRoom(target, sources.length);
    // A MOVE within one mailbox takes no more of its quota: the sources go right after.
    if (!isMove) this.#limits.checkQuota(this.#mailboxes.get(target.mailbox), sources.length, sources.reduce((n, s) => n + s.message.size, 0));
    const copies: Placement[] = [];
    const touched = new Set<StoredMessage>();
    for (const s of sources) {
      copies.push(this.#place(s.message, target, flags ?? [...s.flags], s.internalDate, origin));
      touched.add(s.message);
    }
    for (const m of touched) this.emit('message.updated', m);
    return copies;
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

  /** Marks the folder's `\Recent` placements as claimed and returns them (the first session to select gets them). */
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
    let mailbox = this.#mailboxes.get(key);
    if (!mailbox) {
      this.#limits.checkMailboxRoom(this.#mailboxes.size, 1);
      mailbox = createMailbox(key, () => this.#nextUidValidity++);
      this.#mailboxes.set(key, mailbox);
      this.emit('mailbox.added', mailbox);
    }
    return mailbox;
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
    this.#mailboxes.delete(mailbox.address);
    this.emit('mailbox.removed', mailbox);
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
    const mailbox = this.ensureMailbox(address);
    const key = normalizeFolderName(name);
    if (mailbox.folders.has(key)) throw new StoreError('ALREADYEXISTS', `Folder ${key} already exists`);
    if (!key || key.split('/').some((part) => part === '')) throw new StoreError('INVALID', 'Invalid folder name');
    this.#limits.checkFolderCount(mailbox);
    const folder = createFolder(mailbox.address, key, this.#nextUidValidity++, options.specialUse, options.subscribed ?? true);
    mailbox.folders.set(key, folder);
    this.emit('folder.added', folder);
    return folder;
  }

  /** Deletes a folder and its placements. INBOX can't be deleted. Children are left in place (RFC 3501 §6.3.4). */
  deleteFolder(address: string, name: string, origin?: unknown): void {
    const mailbox = this.getMailbox(address);
    const key = normalizeFolderName(name);
    const folder = mailbox?.folders.get(key);
    if (!mailbox || !folder) throw new StoreError('NONEXISTENT', `No folder ${key}`);
    if (key === 'INBOX') throw new StoreError('CANNOT', 'INBOX cannot be deleted');
    this.removePlacements([...folder.placements], origin);
    mailbox.folders.delete(key);
    this.emit('folder.removed', folder);
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
      for (const p of moving) this.#place(p.message, target, [...p.flags], p.internalDate, origin);
      this.removePlacements(moving, origin);
      return;
    }
    const renames = [...mailbox.folders.values()].filter((f) => f.name === oldKey || f.name.startsWith(oldKey + '/'));
    for (const f of renames) {
      const oldName = f.name;
      mailbox.folders.delete(oldName);
      f.name = newKey + oldName.slice(oldKey.length);
      mailbox.folders.set(f.name, f);
      this.emit('folder.renamed', f, oldName);
    }
  }

  /**
   * Gives a folder a new, greater UIDVALIDITY and renumbers its messages from UID 1 (SPEC §13, a mail-client
   * state fault). Sessions with the folder selected hear of it through `folder.uidvalidity` and must end.
   */
  renewUidValidity(address: string, name: string): Folder {
    const folder = this.getFolder(address, name);
    if (!folder) throw new StoreError('NONEXISTENT', `No folder ${normalizeFolderName(name)} in ${normalizeAddress(address)}`);
    this.#nextUidValidity = Math.max(this.#nextUidValidity, folder.uidValidity + 1);
    (folder as { uidValidity: number }).uidValidity = this.#nextUidValidity++;
    folder.placements.forEach((p, i) => ((p as { uid: number }).uid = i + 1));
    resetVanished(folder);
    folder.uidNext = folder.placements.length + 1;
    this.emit('folder.uidvalidity', folder);
    return folder;
  }

  setSubscribed(folder: Folder, subscribed: boolean): void {
    folder.subscribed = subscribed;
  }

  stats(): StoreStats {
    const { maxMessages, maxSize } = this.#evictedBy;
    return {
      messages: this.#order.length,
      mailboxes: this.#mailboxes.size,
      received: this.#received,
      evicted: maxMessages + maxSize,
      // maxAge belongs to the durable store; the in-memory store never evicts by age.
      evictedBy: { maxMessages, maxAge: 0, maxSize },
      bytes: this.#bytes,
    };
  }

  // ---- internals ----

  /** Checks every target folder and limit before creating any mailbox, so a refused delivery leaves nothing behind. */
  #resolveTargets(targets: NonNullable<DeliveryInput['targets']>, size: number): Array<{ folder: Folder; flags: readonly string[]; internalDate?: Date }> {
    const newMailboxes = new Set<string>();
    for (const t of targets) {
      const name = normalizeFolderName(t.folder ?? 'INBOX');
      const mailbox = this.getMailbox(t.mailbox);
      const exists = mailbox ? mailbox.folders.has(name) : defaultFolders.some((f) => f.name === name);
      if (!exists) throw new StoreError('NONEXISTENT', `No folder ${name} in ${normalizeAddress(t.mailbox)}`);
      const folder = mailbox?.folders.get(name);
      if (folder) this.#limits.checkFolderRoom(folder, 1);
      this.#limits.checkQuota(mailbox, 1, size);
      if (!mailbox) newMailboxes.add(normalizeAddress(t.mailbox));
    }
    this.#limits.checkMailboxRoom(this.#mailboxes.size, newMailboxes.size);
    return targets.map((t) => ({
      folder: this.ensureMailbox(t.mailbox).folders.get(normalizeFolderName(t.folder ?? 'INBOX')) as Folder,
      flags: t.flags ?? [],
      internalDate: t.internalDate,
    }));
  }

  #place(message: StoredMessage, folder: Folder, flags: readonly string[], internalDate: Date, origin: unknown): Placement {
    const placement: Placement = {
      message,
      mailbox: folder.mailbox,
      folder,
      uid: folder.uidNext++,
      flags: flags.length ? new Set(flags) : this.#noFlags,
      internalDate,
      recent: true,
      modseq: nextModseq(folder),
    };
    folder.placements.push(placement);
    this.#countUsage(folder.mailbox, 1, message.size);
    this.#placements.get(message.id)?.add(placement);
    this.emit('placement.added', placement, origin);
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
    const byMessage = new Map<string, Set<Placement>>();
    for (const p of gone) {
      groupInto(byFolder, p.folder, p);
      groupInto(byMessage, p.message.id, p);
    }
    for (const [folder, set] of byFolder) {
      removeFromFolder(folder, set);
      // One MODSEQ per folder for the whole batch: it is one change, as an EXPUNGE is.
      recordVanished(folder, [...set].map((p) => p.uid), nextModseq(folder));
      let bytes = 0;
      for (const p of set) bytes += p.message.size;
      this.#countUsage(folder.mailbox, -set.size, bytes === 0 ? 0 : -bytes);
    }
    for (const [id, set] of byMessage) this.#placements.get(id)?.remove(set);
    for (const p of gone) this.emit('placement.removed', p, origin);
  }

  #forget(message: StoredMessage, reason: DeleteReason): void {
    const i = this.#indexAfter(message.seq - 1);
    if (this.#order[i] === message) this.#order.splice(i, 1);
    if (this.#byId.delete(message.id)) this.#bytes -= message.size;
    this.#placements.delete(message.id);
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

function groupInto<K>(groups: Map<K, Set<Placement>>, key: K, p: Placement): void {
  const set = groups.get(key);
  if (set) set.add(p);
  else groups.set(key, new Set([p]));
}
