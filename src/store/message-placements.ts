import type { Placement } from './types.js';

/**
 * Every placement of one message, with the two facts a summary needs kept as counts: how many placements are
 * `\Seen` and how many are in each mailbox. A summary (the UI feed sends one per change) then costs the number of
 * mailboxes, not the number of copies: IMAP COPY can give one message a hundred thousand placements.
 */
export class MessagePlacements {
  /** In placement order. Read-only to everything but the store. */
  items: Placement[] = [];
  #seen = 0;
  /**
   * Placements per mailbox address, in the order the mailboxes were first placed in. Almost every message lives in
   * one mailbox: a Map is made only for a second one (a Map per message would cost ~100 bytes each).
   */
  #perMailbox: Map<string, number> | null = null;
  /** The only mailbox while `#perMailbox` is null ('' when there are no placements). */
  #mailbox = '';

  get isSeen(): boolean {
    return this.#seen > 0;
  }

  get mailboxes(): string[] {
    if (this.#perMailbox) return [...this.#perMailbox.keys()];
    return this.items.length ? [this.#mailbox] : [];
  }

  add(p: Placement): void {
    this.items.push(p);
    if (p.flags.has('\\Seen')) this.#seen++;
    if (!this.#perMailbox && (this.items.length === 1 || p.mailbox === this.#mailbox)) {
      this.#mailbox = p.mailbox;
      return;
    }
    if (!this.#perMailbox) this.#perMailbox = new Map([[this.#mailbox, this.items.length - 1]]);
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
    this.items = kept;
  }

  /** Trims the list's spare capacity (a first push reserves room for 17 entries). */
  compact(): void {
    this.items = this.items.slice();
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
