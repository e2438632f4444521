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
});
