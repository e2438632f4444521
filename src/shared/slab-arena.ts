/**
 * Hands out never-reused regions of a larger Buffer, as Node's own Buffer pool does for small buffers: many small
 * buffers then cost one allocation per slab instead of one each (allocating was the largest cost left in the POP3
 * RETR profile, and in SMTP ingest a body of its own cost ~3 µs). A region keeps its whole slab alive for as long as
 * anything holds it; `release()` drops the current slab (an idle session's).
 */
export class SlabArena {
  #slab: Buffer | null = null;
  #offset = 0;

  constructor(readonly slabBytes: number) {}

  /** An uninitialised region of exactly `length` bytes (a slab of its own when longer than a slab). */
  take(length: number): Buffer {
    if (!this.#slab || this.#offset + length > this.#slab.length) {
      this.#slab = Buffer.allocUnsafeSlow(Math.max(this.slabBytes, length));
      this.#offset = 0;
    }
    const view = this.#slab.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return view;
  }

  /**
   * A region of `length` bytes right after `region`, when `region` is the last one taken and its slab has room (so
   * both can be read as one run of bytes from the start of `region`); null otherwise, and nothing is taken.
   */
  extend(region: Buffer, length: number): Buffer | null {
    const slab = this.#slab;
    if (!slab || region.buffer !== slab.buffer || region.byteOffset + region.length !== slab.byteOffset + this.#offset) return null;
    if (this.#offset + length > slab.length) return null;
    const view = slab.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return view;
  }

  release(): void {
    this.#slab = null;
  }
}
