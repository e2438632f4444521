import type { MessageStore } from '../store/message-store.js';
import type { Folder, Placement } from '../store/types.js';
import { bad } from './imap-error.js';
import { isRev2 } from './rev2.js';
import { formatFlags } from './wire/encoder.js';
import { formatSequenceSet, highestNumber, isSavedResult, resolveSequenceSet, type SequenceSet } from './wire/sequence-set.js';

/** SORT/THREAD/SEARCH answers kept per view (each up to one number per message). */
const maxCachedResults = 8;

const systemFlags = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/** One message as the client knows it: its sequence number (1-based) and placement. */
export interface ViewEntry {
  seq: number;
  placement: Placement;
}

/**
 * A selected folder as one session sees it (RFC 3501 §5.2, §7.4.1). The sequence list is a snapshot taken at
 * SELECT; changes made by anyone (this session included) arrive as store events and are queued, then revealed
 * by `takeUpdates()`, which the dispatcher calls before each tagged completion (and at once during IDLE).
 *
 * Expunged placements stay in the list, marked gone, until an EXPUNGE may be sent: sequence numbers must not
 * shift under a FETCH, STORE or SEARCH.
 */
export class MailboxView {
  /** What the client has been told: its sequence numbers index this list. */
  readonly #list: Placement[];
  readonly #gone = new Set<Placement>();
  #added: Placement[] = [];
  /** Placements removed while still in `#added` (filtered out when revealed: an indexOf per removal is O(n²)). */
  readonly #addedGone = new Set<Placement>();
  readonly #flagsChanged = new Set<Placement>();
  readonly recent: Set<Placement>;
  /** The keywords the client was told of in FLAGS: a FETCH may show no other (RFC 3501 §7.2.6). */
  readonly #keywords = new Set<string>();
  readonly #unsubscribe: Array<() => void>;
  #isFolderGone = false;
  /** The folder's UIDVALIDITY changed since SELECT: the session is closed at once. */
  isUidValidityChanged = false;
  /**
   * `$` (RFC 5182): UIDs the last `SEARCH RETURN (SAVE)` found, ascending. Kept as UIDs so it survives EXPUNGEs
   * (an expunged message simply drops out); a new SELECT starts with an empty one, as the RFC says.
   */
  savedUids: readonly number[] = [];
  /**
   * Results of SORT, THREAD and SEARCH whose answer depends only on the messages and their sequence numbers (not on
   * flags, MODSEQ, time or `$`), by command: a client repeating `SORT (REVERSE ARRIVAL)` or `THREAD REFERENCES`
   * gets the answer without sorting again. Dropped whenever the list changes (an EXISTS or EXPUNGE revealed):
   * that is the only way such an answer can change, since messages are immutable. Bounded: a handful of entries.
   */
  readonly #results = new Map<string, unknown>();
  #entries: ViewEntry[] | null = null;

  constructor(
    readonly store: MessageStore,
    readonly folder: Folder,
    readonly isReadOnly: boolean,
    /** The session: events carrying it as origin are this session's own changes. */
    readonly origin: unknown,
    /** Called whenever an update is queued (IDLE pushes it at once). */
    readonly onUpdate: () => void,
    /** The session's enabled extensions, read live: CONDSTORE adds MODSEQ to flag updates, QRESYNC sends VANISHED. */
    readonly enabled: ReadonlySet<string> = new Set(),
  ) {
    this.#list = [...folder.placements];
    // EXAMINE must not change state (RFC 3501 §6.3.2), so it sees \Recent without claiming it. IMAP4rev2 has no
    // \Recent (RFC 9051 Appendix E): such a session neither sees nor claims it, leaving it to IMAP4rev1 sessions.
    this.recent = isRev2(enabled) ? new Set() : isReadOnly ? new Set(this.#list.filter((p) => p.recent)) : store.claimRecent(folder);
    for (const p of this.#list) for (const f of p.flags) if (!f.startsWith('\\')) this.#keywords.add(f);
    this.#unsubscribe = [
      store.on('placement.added', (p) => this.#onAdded(p)),
      store.on('placement.removed', (p) => this.#onRemoved(p)),
      store.on('placement.flags', (p, origin) => this.#onFlags(p, origin)),
      store.on('folder.removed', (f) => this.#onFolderGone(f === folder)),
      store.on('mailbox.removed', (m) => this.#onFolderGone(m.address === folder.mailbox)),
      store.on('folder.uidvalidity', (f) => this.#onUidValidity(f === folder)),
    ];
  }

  close(): void {
    for (const off of this.#unsubscribe) off();
  }

  /** `FLAGS (...)` and `OK [PERMANENTFLAGS (...)]` with every keyword announced so far (SELECT sends them). */
  flagsLines(): string[] {
    const flags = [...systemFlags, ...this.#keywords];
    const permanent = this.isReadOnly ? '()' : formatFlags([...flags, '\\*']);
    return [`FLAGS ${formatFlags(flags)}`, `OK [PERMANENTFLAGS ${permanent}] Flags permitted`];
  }

  /**
   * What must precede a FETCH showing `flags`: when one is a keyword the client has not seen in FLAGS yet (another
   * session, the API or this session's STORE just added it), FLAGS and PERMANENTFLAGS again, listing it.
   */
  announceKeywords(flags: Iterable<string>): string[] {
    let isNew = false;
    for (const f of flags) {
      if (f.startsWith('\\') || this.#keywords.has(f)) continue;
      this.#keywords.add(f);
      isNew = true;
    }
    return isNew ? this.flagsLines() : [];
  }

  /** EXISTS as the client knows it. */
  get exists(): number {
    return this.#list.length;
  }

  /** True once the folder (or its mailbox) was deleted: the session must end (RFC 3501 leaves it to the server). */
  get isFolderGone(): boolean {
    return this.#isFolderGone;
  }

  isGone(p: Placement): boolean {
    return this.#gone.has(p);
  }

  /** Every message the client knows of, in sequence order (one array until the list changes: do not modify it). */
  entries(): readonly ViewEntry[] {
    return (this.#entries ??= this.#list.map((placement, i) => ({ seq: i + 1, placement })));
  }

  /**
   * `make()`'s answer for `key`, kept until the sequence list changes (see `#results`). Only for answers that depend
   * on nothing but the messages (immutable) and their sequence numbers.
   */
  cached<T>(key: string, make: () => T): T {
    if (this.#results.has(key)) return this.#results.get(key) as T;
    const value = make();
    if (this.#results.size >= maxCachedResults) this.#results.delete(this.#results.keys().next().value as string);
    this.#results.set(key, value);
    return value;
  }

  /** The sequence list changed: cached answers and entries are stale. */
  #listChanged(): void {
    this.#results.clear();
    this.#entries = null;
  }

  seqOf(p: Placement): number {
    const i = indexOfUid(this.#list, p.uid);
    return i >= 0 && this.#list[i] === p ? i + 1 : 0;
  }

  /**
   * The messages a sequence set names, ascending (read-only: it may be entries() itself). For message sequence
   * numbers, a number beyond EXISTS is BAD (RFC 9051 §6.4.4 leaves it to the server; Dovecot does the same); UID sets
   * simply match what exists. `*` on an empty folder matches nothing.
   */
  resolve(set: SequenceSet, isUid: boolean): readonly ViewEntry[] {
    const ranges = this.resolveRanges(set, isUid);
    // The entries of entries() (one object per message, kept until the list changes), not new ones per command:
    // `UID FETCH 1:* (FLAGS)` over 10,000 messages made 10,000 objects each time. `1:*` is that array itself.
    const entries = this.entries();
    if (ranges.length === 1 && ranges[0][0] === 0 && ranges[0][1] === entries.length - 1) return entries;
    const out: ViewEntry[] = [];
    for (const [lo, hi] of ranges) for (let i = lo; i <= hi; i++) out.push(entries[i]);
    return out;
  }

  /**
   * The messages of `resolve()` as inclusive ranges of list indices (sequence number - 1), in its order, for a caller
   * that walks them with `placementAt()` without an object per message (FETCH of flags over 10,000).
   */
  resolveRanges(set: SequenceSet, isUid: boolean): Array<[number, number]> {
    const list = this.#list;
    if (list.length === 0) return [];
    if (isSavedResult(set)) {
      const out: Array<[number, number]> = [];
      for (const uid of this.savedUids) {
        const i = indexOfUid(list, uid);
        if (i >= 0) out.push([i, i]);
      }
      return out;
    }
    if (!isUid) {
      if (highestNumber(set) > list.length) throw bad('Invalid message sequence number');
      return resolveSequenceSet(set, list.length).map(([lo, hi]) => [lo - 1, hi - 1]);
    }
    const out: Array<[number, number]> = [];
    for (const [lo, hi] of resolveSequenceSet(set, list[list.length - 1].uid)) {
      const first = lowerBound(list, lo);
      const end = lowerBound(list, hi + 1);
      if (end > first) out.push([first, end - 1]);
    }
    return out;
  }

  /** The message at list index `i` (its sequence number is i + 1). */
  placementAt(i: number): Placement {
    return this.#list[i];
  }

  /**
   * Untagged responses for everything queued, in order: EXPUNGEs (only when `allowExpunge`), EXISTS/RECENT,
   * then FETCH FLAGS for flags others changed.
   */
  takeUpdates(allowExpunge: boolean): string[] {
    const lines: string[] = [];
    // Loops, not spread arguments: a spread of 120k+ items throws RangeError (too many arguments).
    if (allowExpunge && this.#gone.size > 0) this.#takeExpunges(lines);
    if (this.#added.length > 0) {
      const added = this.#addedGone.size ? this.#added.filter((p) => !this.#addedGone.has(p)) : this.#added;
      this.#added = [];
      this.#addedGone.clear();
      for (const p of added) this.#list.push(p);
      this.#listChanged();
      lines.push(`${this.#list.length} EXISTS`);
      if (!isRev2(this.enabled)) {
        if (!this.isReadOnly) for (const p of this.store.claimRecent(this.folder)) this.recent.add(p);
        else for (const p of added) if (p.recent) this.recent.add(p);
        lines.push(`${this.#countRecent()} RECENT`);
      }
    }
    for (const p of this.#flagsChanged) {
      const seq = this.seqOf(p);
      if (seq === 0 || this.#gone.has(p)) continue;
      const modseq = this.enabled.has('CONDSTORE') ? ` MODSEQ (${p.modseq})` : '';
      lines.push(...this.announceKeywords(p.flags), `${seq} FETCH (UID ${p.uid} FLAGS ${formatFlags(p.flags, this.recent.has(p))}${modseq})`);
    }
    this.#flagsChanged.clear();
    return lines;
  }

  get hasPendingUpdates(): boolean {
    return this.#gone.size > 0 || this.#added.length > 0 || this.#flagsChanged.size > 0;
  }

  #takeExpunges(lines: string[]): void {
    const list = this.#list;
    let kept = 0;
    // QRESYNC (RFC 7162 §3.2.10): one VANISHED with the UIDs instead of an EXPUNGE each.
    const vanished: number[] | null = this.enabled.has('QRESYNC') ? [] : null;
    // Each EXPUNGE renumbers what follows: a gone message is announced at its position among those kept so far.
    for (let i = 0; i < list.length; i++) {
      const p = list[i];
      if (this.#gone.has(p)) {
        if (vanished) vanished.push(p.uid);
        else lines.push(`${kept + 1} EXPUNGE`);
        this.recent.delete(p);
        this.#flagsChanged.delete(p);
      } else list[kept++] = p;
    }
    list.length = kept;
    this.#listChanged();
    this.#gone.clear();
    if (vanished?.length) lines.push(`VANISHED ${formatSequenceSet(vanished)}`);
  }

  #countRecent(): number {
    let n = 0;
    for (const p of this.recent) if (!this.#gone.has(p)) n++;
    return n;
  }

  #onAdded(p: Placement): void {
    if (p.folder !== this.folder) return;
    this.#added.push(p);
    this.onUpdate();
  }

  #onRemoved(p: Placement): void {
    if (p.folder !== this.folder) return;
    if (this.seqOf(p) > 0) this.#gone.add(p);
    // Not in the list: it can only be one still waiting in #added (UIDs past the list's last one).
    else if (this.#added.length > 0 && p.uid >= this.#added[0].uid) this.#addedGone.add(p);
    else return;
    this.onUpdate();
  }

  #onFlags(p: Placement, origin: unknown): void {
    // The session reports its own changes in the command's own responses (STORE, FETCH BODY[]).
    if (p.folder !== this.folder || origin === this.origin) return;
    this.#flagsChanged.add(p);
    this.onUpdate();
  }

  /** Every UID changed under the client (SPEC §13): the session must end with `* BYE`, as Dovecot's does. */
  #onUidValidity(isMine: boolean): void {
    if (!isMine) return;
    this.isUidValidityChanged = true;
    this.onUpdate();
  }

  #onFolderGone(isMine: boolean): void {
    if (!isMine) return;
    this.#isFolderGone = true;
    this.onUpdate();
  }
}

function lowerBound(list: readonly Placement[], uid: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].uid < uid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOfUid(list: readonly Placement[], uid: number): number {
  const i = lowerBound(list, uid);
  return i < list.length && list[i].uid === uid ? i : -1;
}
