import { describe, expect, it } from 'vitest';
import { formatSequenceSet, parseSequenceSet, resolveSequenceSet } from '../../src/imap/wire/sequence-set.js';
import { ImapSyntaxError } from '../../src/imap/wire/tokenizer.js';
import { MailboxView } from '../../src/imap/mailbox-view.js';
import { MessageStore } from '../../src/store/message-store.js';
import { ImapError } from '../../src/imap/imap-error.js';

describe('IMAP sequence sets', () => {
  it.each([
    ['1', [[1, 1]]],
    ['*', [['*', '*']]],
    ['1:*', [[1, '*']]],
    ['4294967295', [[4294967295, 4294967295]]],
    ['5:2,7', [[5, 2], [7, 7]]],
  ])('parses %s', (text, expected) => {
    expect(parseSequenceSet(text)).toEqual(expected);
  });

  it.each(['', '0', '1:', ':1', '1::2', '4294967296', 'a', '1,,2', '-1', '1:2:3', '01'])('refuses %j', (text) => {
    expect(() => parseSequenceSet(text)).toThrow(ImapSyntaxError);
  });

  it('resolves * to the largest number, reversed ranges forwards, and merges overlaps', () => {
    expect(resolveSequenceSet(parseSequenceSet('5:2,7,*,3:4'), 9)).toEqual([
      [2, 5],
      [7, 7],
      [9, 9],
    ]);
    expect(resolveSequenceSet(parseSequenceSet('1:*'), 0)).toEqual([[0, 1]]);
  });

  it('formats ascending numbers compactly', () => {
    expect(formatSequenceSet([1, 2, 3, 5, 7, 8])).toBe('1:3,5,7:8');
    expect(formatSequenceSet([])).toBe('');
  });

  it('formats numbers in any order (ESORT ALL): ascending runs become ranges, the rest stays as given', () => {
    expect(formatSequenceSet([9, 5, 1])).toBe('9,5,1');
    expect(formatSequenceSet([4, 5, 6, 2, 9, 10])).toBe('4:6,2,9:10');
    expect(formatSequenceSet([7, 3, 1, 2, 8])).toBe('7,3,1:2,8');
    expect(formatSequenceSet([42])).toBe('42');
    // Against a formatter that writes every number on its own, over random orders with and without runs.
    const oneByOne = (numbers: number[]): string => {
      const parts: string[] = [];
      for (let i = 0; i < numbers.length; ) {
        let j = i;
        while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
        parts.push(i === j ? String(numbers[i]) : `${numbers[i]}:${numbers[j]}`);
        i = j + 1;
      }
      return parts.join(',');
    };
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let round = 0; round < 200; round++) {
      const numbers = Array.from({ length: random(40) }, (_, i) => (random(3) === 0 ? random(50) + 1 : i + 1));
      expect(formatSequenceSet(numbers)).toBe(oneByOne(numbers));
    }
  });
});

describe('IMAP mailbox view sequence resolution', () => {
  function view(count: number): MailboxView {
    const store = new MessageStore({ maxMessages: 0 });
    for (let i = 0; i < count; i++) store.deliver({ raw: Buffer.from(`Subject: ${i}\r\n\r\n`), envelope: { mailFrom: '', rcptTo: ['a@x.test'] }, source: 'api' });
    return new MailboxView(store, store.getFolder('a@x.test', 'INBOX') ?? store.ensureMailbox('a@x.test').folders.get('INBOX')!, false, {}, () => {});
  }

  it('matches nothing for 1:4294967295 and * on an empty folder, by sequence or UID', () => {
    const v = view(0);
    for (const text of ['1:4294967295', '*', '1:*', '4294967295']) {
      expect(v.resolve(parseSequenceSet(text), false)).toEqual([]);
      expect(v.resolve(parseSequenceSet(text), true)).toEqual([]);
    }
  });

  it('resolves UID sets to the UIDs that exist and sequence numbers beyond EXISTS as BAD', () => {
    const v = view(3);
    expect(v.resolve(parseSequenceSet('2:4294967295'), true).map((e) => e.placement.uid)).toEqual([2, 3]);
    expect(v.resolve(parseSequenceSet('*:2'), false).map((e) => e.seq)).toEqual([2, 3]);
    expect(() => v.resolve(parseSequenceSet('4'), false)).toThrow(ImapError);
  });
});
