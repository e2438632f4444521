import { describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.js';
import { maxVanishedPerFolder, vanishedSince } from '../../src/store/modseq.js';
import { vanishedEarlier } from '../../src/imap/condstore.js';

const raw = (s: string) => Buffer.from(`Subject: ${s}\r\n\r\nbody\r\n`);

function storeWith(n: number): MessageStore {
  const store = new MessageStore({ maxMessages: 0 });
  for (let i = 0; i < n; i++) store.deliver({ raw: raw(`m${i}`), envelope: { mailFrom: '', rcptTo: ['bob@example.test'] }, source: 'api' });
  return store;
}

describe('MODSEQ in the store', () => {
  it('raises HIGHESTMODSEQ for arrival, flag change, tag change, copy and expunge, and not for a no-op', () => {
    const store = storeWith(2);
    const inbox = store.getFolder('bob@example.test', 'INBOX')!;
    const trash = store.getFolder('bob@example.test', 'Trash')!;
    const [a, b] = inbox.placements;
    expect([a.modseq, b.modseq, inbox.highestModseq]).toEqual([2, 3, 3]);
    store.setFlags([a], ['\\Seen'], 'add');
    expect([a.modseq, inbox.highestModseq]).toEqual([4, 4]);
    store.setFlags([a], ['\\Seen'], 'add'); // no change: no new MODSEQ
    expect(inbox.highestModseq).toBe(4);
    store.setTags(b.message.id, ['qa']);
    expect([b.modseq, inbox.highestModseq]).toEqual([5, 5]);
    const [copy] = store.copyPlacements([a], trash);
    expect([copy.modseq, trash.highestModseq, inbox.highestModseq]).toEqual([2, 2, 5]);
    store.removePlacements([a, b]);
    // One expunge of two messages is one change.
    expect(inbox.highestModseq).toBe(6);
    expect(vanishedSince(inbox, 5)).toEqual([1, 2]);
    expect(vanishedSince(inbox, 6)).toEqual([]);
  });

  it('raises it for deletes from outside IMAP, clear() and eviction, remembering the UIDs', () => {
    const store = new MessageStore({ maxMessages: 2 });
    const ids = ['a', 'b', 'c'].map((s) => store.deliver({ raw: raw(s), envelope: { mailFrom: '', rcptTo: ['bob@example.test'] }, source: 'api' }).id);
    const inbox = store.getFolder('bob@example.test', 'INBOX')!;
    // The third delivery evicted the first.
    expect(store.get(ids[0])).toBeUndefined();
    const afterEviction = inbox.highestModseq;
    expect(vanishedSince(inbox, afterEviction - 1)).toEqual([1]);
    store.deleteMessage(ids[1]);
    expect(vanishedSince(inbox, afterEviction)).toEqual([2]);
    store.clear();
    expect(vanishedSince(inbox, afterEviction)).toEqual([2, 3]);
    expect(store.getMailbox('bob@example.test')!.usage).toEqual({ messages: 0, bytes: 0 });
  });

  it(`forgets expunges past ${maxVanishedPerFolder} per folder, and then answers VANISHED (EARLIER) with every UID not there`, () => {
    const store = storeWith(maxVanishedPerFolder + 10);
    const inbox = store.getFolder('bob@example.test', 'INBOX')!;
    const start = inbox.highestModseq;
    // Expunged one at a time, so each has its own MODSEQ; all but the last 3 go.
    for (const p of inbox.placements.slice(0, -3)) store.removePlacements([p]);
    expect(inbox.vanished.uids.length).toBe(maxVanishedPerFolder);
    expect(inbox.vanished.floor).toBeGreaterThan(start);
    // Within memory: exactly the UIDs expunged since.
    expect(vanishedEarlier(inbox, inbox.highestModseq - 2, null)).toBe(`VANISHED (EARLIER) ${maxVanishedPerFolder + 6}:${maxVanishedPerFolder + 7}`);
    // Past it: every UID below UIDNEXT that isn't in the folder (clients ignore UIDs they never knew).
    expect(vanishedSince(inbox, start)).toBeNull();
    expect(vanishedEarlier(inbox, start, null)).toBe(`VANISHED (EARLIER) 1:${maxVanishedPerFolder + 7}`);
    expect(vanishedEarlier(inbox, start, [[5, 9], [maxVanishedPerFolder + 8, '*']])).toBe('VANISHED (EARLIER) 5:9');
  });
});
