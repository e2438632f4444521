import { describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.js';
import { formatUidl, Maildrop, parseMessageNumber } from '../../src/pop3/maildrop.js';
import { Pop3Error } from '../../src/pop3/responses.js';

function maildropOf(sizes: number[]): { maildrop: Maildrop; store: MessageStore } {
  const store = new MessageStore({ maxMessages: 0 });
  for (const size of sizes) {
    const raw = Buffer.alloc(size, 0x61);
    store.deliver({ raw, envelope: { mailFrom: '', rcptTo: ['m@example.test'] }, source: 'api' });
  }
  const inbox = store.getFolder('m@example.test', 'INBOX');
  if (!inbox) throw new Error('no inbox');
  return { maildrop: new Maildrop(inbox), store };
}

describe('parseMessageNumber', () => {
  it.each([
    ['1', 1],
    ['007', 7],
    ['4294967296', 4294967296],
  ])('reads %s as %i', (arg, n) => {
    expect(parseMessageNumber(arg)).toBe(n);
  });

  it.each(['', 'abc', '-1', '+1', '1.0', '1e3', ' 1', '12345678901', '١'])('refuses %j', (arg) => {
    expect(() => parseMessageNumber(arg)).toThrow(Pop3Error);
  });
});

describe('Maildrop', () => {
  it('counts messages and exact octets, and keeps numbers after DELE', () => {
    const { maildrop } = maildropOf([10, 20, 30]);
    expect([maildrop.count, maildrop.octets]).toEqual([3, 60]);
    maildrop.markDeleted(maildrop.resolve('2'));
    expect([maildrop.count, maildrop.octets]).toEqual([2, 40]);
    expect(maildrop.live().map((e) => e.n)).toEqual([1, 3]);
    expect(maildrop.resolve('3').size).toBe(30);
  });

  it.each([
    ['0', 'No such message'],
    ['4', 'No such message'],
    ['4294967296', 'No such message'],
    ['2', 'Message 2 already deleted'],
    ['x', 'Invalid message number'],
  ])('resolve(%j) refuses with %j', (arg, text) => {
    const { maildrop } = maildropOf([1, 2, 3]);
    maildrop.markDeleted(maildrop.resolve('2'));
    expect(() => maildrop.resolve(arg)).toThrow(text);
  });

  it('counts a double DELE once and RSET restores everything', () => {
    const { maildrop } = maildropOf([5, 7]);
    const e = maildrop.resolve('1');
    maildrop.markDeleted(e);
    maildrop.markDeleted(e);
    expect(maildrop.octets).toBe(7);
    maildrop.reset();
    expect([maildrop.count, maildrop.octets, maildrop.deletions()]).toEqual([2, 12, []]);
  });

  it('is a snapshot: later deliveries and removals do not change it', () => {
    const { maildrop, store } = maildropOf([5, 7]);
    store.deliver({ raw: Buffer.from('x'), envelope: { mailFrom: '', rcptTo: ['m@example.test'] }, source: 'api' });
    const first = [...store.newestFirst()].at(-1);
    if (first) store.deleteMessage(first.id);
    expect([maildrop.count, maildrop.octets]).toEqual([2, 12]);
    expect(maildrop.resolve('1').placement.message.raw.length).toBe(5);
  });

  it('gives UIDLs from the folder UIDVALIDITY and UID, within RFC 1939 rules', () => {
    const { maildrop } = maildropOf([1, 1]);
    const [a, b] = maildrop.live().map((e) => e.uidl);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\x21-\x7e]{1,70}$/);
    expect(formatUidl(1700000000, 42)).toBe('1700000000.42');
  });

  it('reports RETR-ed messages that were not deleted', () => {
    const { maildrop } = maildropOf([1, 1, 1]);
    for (const n of ['1', '2']) maildrop.markRetrieved(maildrop.resolve(n));
    maildrop.markDeleted(maildrop.resolve('2'));
    expect(maildrop.retrievedKept().map((p) => p.uid)).toEqual([1]);
    expect(maildrop.deletions().map((p) => p.uid)).toEqual([2]);
  });
});
