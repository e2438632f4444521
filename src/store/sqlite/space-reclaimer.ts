import type BetterSqlite3 from 'better-sqlite3';
import type { StoreChange } from '../store-change.js';

/**
 * Space reclaim after 1,000 deletions or a clear: given back once writes have been quiet this long (or, under a
 * steady load, this long after it became due times `maxDelayFactor`), in steps of `stepPages` pages, one step per
 * event-loop turn. Done at once it stalled the loop: 1.5–1.8 s after clearing 2,000 × 100 KB, the length of the next
 * ingest round. Until then SQLite reuses the free pages for new rows, so the file does not grow.
 */
const quietMs = 250;
const maxDelayFactor = 20;
const stepPages = 512;
const deletionsPerReclaim = 1000;

/** The SQLite backend's deferred reclaim of deleted space (incremental vacuum), off the write path. */
export class SpaceReclaimer {
  #deletions = 0;
  /** Set while free pages wait to be given back. */
  #timer: NodeJS.Timeout | null = null;
  #dueAt = 0;
  #lastWriteAt = 0;
  #stopped = false;

  constructor(private readonly db: BetterSqlite3.Database) {}

  /** A write: while a reclaim waits, it waits for writes to be quiet again. */
  noteWrite(): void {
    if (this.#timer) this.#lastWriteAt = performance.now();
  }

  /** A committed change: deletions count towards the next reclaim. */
  noteCommitted(change: StoreChange): void {
    if (change.kind === 'clear') this.#deletions += 10_000;
    else if (change.kind === 'deleteMessage' || change.kind === 'removePlacements') this.#deletions++;
    else return;
    if (this.#deletions < deletionsPerReclaim) return;
    this.#deletions = 0;
    if (this.#timer) return;
    this.#dueAt = this.#lastWriteAt = performance.now();
    this.#arm(quietMs);
  }

  /** The space was given back by other means (an explicit vacuum): the count starts again. */
  reset(): void {
    this.#deletions = 0;
  }

  /** Stops for good; true when a reclaim was still waiting (the caller gives the space back now). */
  stop(): boolean {
    this.#stopped = true;
    if (!this.#timer) return false;
    clearTimeout(this.#timer);
    this.#timer = null;
    return true;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#step(), ms);
    this.#timer.unref();
  }

  /** One step: waits for a quiet moment outside a transaction, then frees a few pages. */
  #step(): void {
    this.#timer = null;
    if (this.#stopped) return;
    const now = performance.now();
    const quietFor = now - this.#lastWriteAt;
    const overdue = now - this.#dueAt >= quietMs * maxDelayFactor;
    if (this.db.inTransaction || (quietFor < quietMs && !overdue)) {
      this.#arm(this.db.inTransaction ? 1 : Math.max(1, quietMs - quietFor));
      return;
    }
    try {
      this.db.pragma(`incremental_vacuum(${stepPages})`);
      if ((this.db.pragma('freelist_count', { simple: true }) as number) > 0) this.#arm(0);
    } catch {
      // Reclaiming is best effort (a full disk can refuse it); the next deletions try again.
    }
  }
}
