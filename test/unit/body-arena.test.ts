import { describe, expect, it } from 'vitest';
import { BodyArena } from '../../src/store/body-arena.js';

describe('BodyArena', () => {
  it('gives each body its own bytes: filled one after another, none overwrites another', () => {
    const arena = new BodyArena();
    const sizes = Array.from({ length: 300 }, (_, i) => [0, 1, 7, 8, 9, 1024, 1500, 2048, 2049, 5000][i % 10]);
    const bodies = sizes.map((size, i) => arena.allocate(size).fill(i % 251));
    bodies.forEach((body, i) => {
      expect(body.length).toBe(sizes[i]);
      expect(body.every((byte) => byte === i % 251)).toBe(true);
    });
  });

  it('packs small bodies into shared slabs and gives a large one a buffer of its own', () => {
    const arena = new BodyArena();
    const a = arena.allocate(1024);
    const b = arena.allocate(1024);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + 1024);
    const large = arena.allocate(64 * 1024);
    expect(large.buffer).not.toBe(a.buffer);
    expect(large.buffer.byteLength).toBe(64 * 1024);
  });

  it('starts a new slab when a body does not fit in what is left', () => {
    const arena = new BodyArena();
    const first = arena.allocate(2000);
    let last = first;
    for (let i = 0; i < 8; i++) last = arena.allocate(2000);
    expect(last.buffer).not.toBe(first.buffer);
    expect(last.byteOffset).toBe(0);
  });
});
