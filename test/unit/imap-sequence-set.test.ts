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
