/**
 * Message bodies read from disk, most recently used kept, within a byte budget: the durable store keeps no body in
 * memory otherwise. A Map iterates in insertion order, so re-inserting on a hit makes it an LRU.
 */
export class BodyCache {
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  get(id: string): Buffer | undefined {
    const b = this.#entries.get(id);
    if (b === undefined) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, b);
    return b;
  }

  set(id: string, body: Buffer): void {
    if (body.length > this.maxBytes) return;
    this.delete(id);
    this.#entries.set(id, body);
    this.#bytes += body.length;
    for (const [oldest, b] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= b.length;
    }
  }

  delete(id: string): void {
    const b = this.#entries.get(id);
    if (b === undefined) return;
    this.#entries.delete(id);
    this.#bytes -= b.length;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
