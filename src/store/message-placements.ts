import type { Placement } from './types.js';

const none: readonly Placement[] = Object.freeze([]);

/**
 * Every placement of one message, with the two facts a summary needs kept as counts: how many placements are
 * `\Seen` and how many are in each mailbox. A summary (the UI feed sends one per change) then costs the number of
 * mailboxes, not the number of copies: IMAP COPY can give one message a hundred thousand placements.
 *
 * Nearly every message has one placement, and a durable store keeps one of these per message for as long as it
 * runs: a lone placement is held as it is, and a list (~56 bytes more) is made only for a second one.
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
