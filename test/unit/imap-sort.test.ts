import { describe, expect, it } from 'vitest';
import { sortEntries } from '../../src/imap/commands/sort/sort.js';
import { SortFactsCache } from '../../src/imap/commands/sort/sort-facts.js';
import type { ViewEntry } from '../../src/imap/mailbox-view.js';

/** Messages with few distinct dates and sizes (many ties), in sequence order, as a view gives them. */
function entries(n: number, seed: number): ViewEntry[] {
  let x = seed;
  const next = (m: number): number => (x = (x * 1103515245 + 12345) % 2147483648) % m;
  return Array.from({ length: n }, (_, i) => {
    const date = next(5) === 0 ? null : new Date(Date.UTC(2024, 0, 1 + next(4), next(3)));
    const message = { raw: Buffer.alloc(100 + next(3)), summary: { date, subject: '' } };
    return { seq: i + 1, placement: { uid: i + 10, message, internalDate: new Date(Date.UTC(2024, 0, 1 + next(6))) } } as unknown as ViewEntry;
  });
}

describe('sortEntries', () => {
  // A second key that never differs sends the same order through the general comparator sort.
  it.each(['ARRIVAL', 'DATE', 'SIZE'] as const)('orders one %s key (REVERSE or not, ties in sequence order) as the comparator sort does', (key) => {
    const facts = new SortFactsCache();
    for (const seed of [1, 2, 3]) {
      const list = entries(300, seed);
      for (const isReverse of [false, true]) {
        const fast = sortEntries(list, [{ key, isReverse }], facts).map((e) => e.seq);
        const general = sortEntries(list, [{ key, isReverse }, { key: 'CC', isReverse: false }], facts).map((e) => e.seq);
        expect(fast).toEqual(general);
        expect(new Set(fast).size).toBe(list.length);
      }
    }
  });
});
