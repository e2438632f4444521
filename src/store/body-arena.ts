/** Bytes of one slab, and the largest body packed into slabs (a larger one gets a buffer of its own). */
const slabBytes = 16 * 1024;
const maxPackedBytes = 2 * 1024;

/**
 * Buffers for the bodies of messages a store keeps in memory. Small bodies are packed into shared 16 KiB slabs: a
 * buffer of its own costs a small body an ArrayBuffer, its tracking record and an allocation of its own from the C
 * heap, which every garbage collection then looks at (measured: 1 KB ingest 0.98× the CPU, 81 bytes less of V8's heap
 * per message; see docs/benchmarks.md). A slab is reachable only through the bodies in it, so it is freed with the
 * last of them. The cost: a slab is kept while any of its bodies is, so at worst a small message left over from a
 * slab's worth deleted one by one holds 16 KiB; messages that go oldest first (retention), all at once (clear, a
 * mailbox's deletion) or in the order they came free their slabs whole.
 */
export class BodyArena {
  #slab: Buffer | null = null;
  #used = 0;

  /** An uninitialised buffer of exactly `size` bytes, for the caller to fill. */
  allocate(size: number): Buffer {
    if (size > maxPackedBytes) return Buffer.allocUnsafeSlow(size);
    if (this.#slab === null || this.#used + size > slabBytes) {
      this.#slab = Buffer.allocUnsafeSlow(slabBytes);
      this.#used = 0;
    }
    const body = this.#slab.subarray(this.#used, this.#used + size);
    // 8-byte aligned, as Node's own buffer pool keeps its slices.
    this.#used += (size + 7) & ~7;
    return body;
  }
}
