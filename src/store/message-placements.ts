import type { Placement } from './types.js';

const none: readonly Placement[] = Object.freeze([]);

/**
 * Every placement of one message, as the store keeps them per message id: nearly every message has one, and the
 * store holds that Placement itself (no object of its own: a store keeps this per message for as long as it runs);
 * a MessagePlacements is made for a second one. The functions below read both forms, and nothing (a message
 * without placements) as empty.
 */
export type PlacedMessage = Placement | MessagePlacements;

export function placedItems(placed: PlacedMessage | undefined): readonly Placement[] {
  return placed === undefined ? none : placed instanceof MessagePlacements ? placed.items : [placed];
}

export function placedCount(placed: PlacedMessage | undefined): number {
  return placed === undefined ? 0 : placed instanceof MessagePlacements ? placed.count : 1;
}

export function isPlacedSeen(placed: PlacedMessage | undefined): boolean {
  return placed === undefined ? false : placed instanceof MessagePlacements ? placed.isSeen : placed.flags.has('\\Seen');
}

export function placedMailboxes(placed: PlacedMessage | undefined): string[] {
  return placed === undefined ? [] : placed instanceof MessagePlacements ? placed.mailboxes : [placed.mailbox];
}

/** `placed` with `p` added: the lone placement itself, or a MessagePlacements from the second on. */
export function withPlacement(placed: PlacedMessage | undefined, p: Placement): PlacedMessage {
  if (placed === undefined) return p;
  if (placed instanceof MessagePlacements) {
    placed.add(p);
    return placed;
  }
  const all = new MessagePlacements();
  all.add(placed);
  all.add(p);
  return all;
}

/** `placed` without the placements in `gone`; undefined once none is left. */
export function withoutPlacements(placed: PlacedMessage | undefined, gone: ReadonlySet<Placement>): PlacedMessage | undefined {
  if (placed === undefined || !(placed instanceof MessagePlacements)) return placed !== undefined && gone.has(placed) ? undefined : placed;
  placed.remove(gone);
  return placed.count === 0 ? undefined : placed;
}

/**
 * Two or more placements of one message, with the two facts a summary needs kept as counts: how many placements are
 * `\Seen` and how many are in each mailbox. A summary (the UI feed sends one per change) then costs the number of
 * mailboxes, not the number of copies: IMAP COPY can give one message a hundred thousand placements.
 */
export class MessagePlacements {
  /** The only placement, while there is at most one (`#list` null). */
  #one: Placement | null = null;
  /** In placement order, once there were two. */
  #list: Placement[] | null = null;
  #seen = 0;
  /**
   * Placements per mailbox address, in the order the mailboxes were first placed in. Almost every message lives in
   * one mailbox: a Map is made only for a second one (a Map per message would cost ~100 bytes each).
   */
  #perMailbox: Map<string, number> | null = null;

  /** In placement order. Read-only to everything but the store. */
  get items(): readonly Placement[] {
    return this.#list ?? (this.#one ? [this.#one] : none);
  }

  get count(): number {
    return this.#list ? this.#list.length : this.#one ? 1 : 0;
  }

  get isSeen(): boolean {
    return this.#seen > 0;
  }

  get mailboxes(): string[] {
    if (this.#perMailbox) return [...this.#perMailbox.keys()];
    const first = this.#list ? this.#list[0] : this.#one;
    return first ? [first.mailbox] : [];
  }

  add(p: Placement): void {
    if (p.flags.has('\\Seen')) this.#seen++;
    const first = this.#list ? this.#list[0] : this.#one;
    if (this.#list) this.#list.push(p);
    else if (this.#one) this.#list = [this.#one, p];
    else this.#one = p;
    if (!this.#perMailbox && (!first || p.mailbox === first.mailbox)) return;
    if (!this.#perMailbox) this.#perMailbox = new Map([[first!.mailbox, this.count - 1]]);
    this.#perMailbox.set(p.mailbox, (this.#perMailbox.get(p.mailbox) ?? 0) + 1);
  }

  /** Called by the store around a flag change of one of these placements. */
  seenChanged(wasSeen: boolean, isSeen: boolean): void {
    if (wasSeen !== isSeen) this.#seen += isSeen ? 1 : -1;
  }

  /** Removes placements in one pass over the list (one `splice` each would make removing n copies O(n²)). */
  remove(gone: ReadonlySet<Placement>): void {
    if (gone.size === 0) return;
    const kept: Placement[] = [];
    for (const p of this.items) {
      if (!gone.has(p)) kept.push(p);
      else this.#forget(p);
    }
    this.#one = kept.length === 1 ? kept[0] : null;
    this.#list = kept.length > 1 ? kept : null;
    // Back to one mailbox: the counts go, as they were never made for one.
    if (this.#perMailbox && this.#perMailbox.size <= 1) this.#perMailbox = null;
  }

  #forget(p: Placement): void {
    if (p.flags.has('\\Seen')) this.#seen--;
    const counts = this.#perMailbox;
    if (!counts) return;
    const n = (counts.get(p.mailbox) ?? 1) - 1;
    if (n > 0) counts.set(p.mailbox, n);
    else counts.delete(p.mailbox);
  }
}
