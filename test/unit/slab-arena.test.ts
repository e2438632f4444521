import { describe, expect, it } from 'vitest';
import { SlabArena } from '../../src/shared/slab-arena.js';

describe('SlabArena', () => {
  it('gives each region its own bytes: filled one after another, none overwrites another', () => {
    const arena = new SlabArena(16 * 1024);
    const sizes = Array.from({ length: 300 }, (_, i) => [0, 1, 7, 8, 9, 1024, 1500, 2048, 2049, 20_000][i % 10]);
    const regions = sizes.map((size, i) => arena.take(size).fill(i % 251));
    regions.forEach((region, i) => {
      expect(region.length).toBe(sizes[i]);
      expect(region.every((byte) => byte === i % 251)).toBe(true);
    });
  });

  it('packs regions into one slab, starts a new slab when one does not fit, and gives a longer one a slab of its own', () => {
    const arena = new SlabArena(16 * 1024);
    const a = arena.take(1024);
    const b = arena.take(1024);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + 1024);
    let last = b;
    for (let i = 0; i < 15; i++) last = arena.take(1024); // 16 fill the slab exactly; the 17th starts a new one
    expect(last.buffer).not.toBe(a.buffer);
    expect(last.byteOffset).toBe(0);
    const large = arena.take(64 * 1024);
    expect(large.buffer.byteLength).toBe(64 * 1024);
  });

  it('extends the last region taken while its slab has room, and refuses any other region', () => {
    const arena = new SlabArena(4096);
    const a = arena.take(1000);
    const more = arena.extend(a, 500);
    expect(more?.buffer).toBe(a.buffer);
    expect(more?.byteOffset).toBe(a.byteOffset + 1000);
    expect(arena.extend(a, 10)).toBeNull(); // `a` is no longer the last region
    const b = arena.take(2000);
    expect(arena.extend(b, 597)).toBeNull(); // past the slab's end: nothing taken
    expect(arena.take(596).byteOffset).toBe(b.byteOffset + 2000);
    expect(arena.extend(Buffer.alloc(10), 1)).toBeNull(); // not from this arena
  });
});
