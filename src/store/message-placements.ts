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
  /** Placements per mailbox address, in the order the mailboxes were first placed in. */
  readonly #perMailbox = new Map<string, number>();

  get isSeen(): boolean {
    return this.#seen > 0;
  }

  get mailboxes(): string[] {
    return [...this.#perMailbox.keys()];
  }

  hasMailbox(address: string): boolean {
    return this.#perMailbox.has(address);
  }

  add(p: Placement): void {
    this.items.push(p);
    if (p.flags.has('\\Seen')) this.#seen++;
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
    const n = (this.#perMailbox.get(p.mailbox) ?? 1) - 1;
    if (n > 0) this.#perMailbox.set(p.mailbox, n);
    else this.#perMailbox.delete(p.mailbox);
  }
}
