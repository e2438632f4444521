import { describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.js';
import { MailboxView } from '../../src/imap/mailbox-view.js';
import { cpuMillis } from './cpu-time.js';

// Issue 10 finding 1: `this.#list.push(...added)` threw RangeError past ~120k items (every session on the folder got
// `* BYE Internal server error`), and removing n placements spliced one at a time (O(n²)).
describe('a folder with 150,000 copies of one message (store without limits)', () => {
  const copies = 150_000;

  function setUp() {
    const store = new MessageStore({ maxMessages: 0 });
    const message = store.deliver({ raw: Buffer.from('Subject: x\r\n\r\nx\r\n'), envelope: { mailFrom: '', rcptTo: ['bob@example.test'] }, source: 'api' });
    const inbox = store.getFolder('bob@example.test', 'INBOX')!;
    const view = new MailboxView(store, inbox, false, {}, () => undefined);
    const source = store.placementsOf(message)[0];
    return { store, message, inbox, view, source };
  }

  it('reveals them to a selected view without a RangeError', () => {
    const { store, inbox, view, source } = setUp();
    store.copyPlacements(new Array(copies).fill(source), inbox);
    const lines = view.takeUpdates(true);
    expect(lines[0]).toBe(`${copies + 1} EXISTS`);
    expect(view.exists).toBe(copies + 1);
  }, 120_000);

  it('removes them all in one linear pass, with one message event and every EXPUNGE', () => {
    const { store, message, inbox, view, source } = setUp();
    store.copyPlacements(new Array(copies).fill(source), inbox);
    view.takeUpdates(true);
    let updated = 0;
    store.on('message.updated', () => updated++);
    const { result: lines, ms } = cpuMillis(() => {
      store.removePlacements(inbox.placements.slice(1));
      return view.takeUpdates(true);
    });
    // Linear: well under a second of CPU; one splice per copy took minutes.
    expect(ms).toBeLessThan(10_000);
    expect(lines).toHaveLength(copies);
    expect(lines.every((l) => l === '2 EXPUNGE')).toBe(true);
    expect(updated).toBe(1);
    expect(store.placementsOf(message)).toHaveLength(1);
    expect(store.mailboxesOf(message)).toEqual(['bob@example.test']);
  }, 120_000);

  it('emits one message.updated per COPY, however many copies it makes', () => {
    const { store, inbox, source } = setUp();
    let updated = 0;
    store.on('message.updated', () => updated++);
    store.copyPlacements(new Array(1000).fill(source), inbox);
    expect(updated).toBe(1);
  });

  it('keeps the seen state and mailbox list of a summary as counts, right through flag changes and removals', () => {
    const { store, message, inbox, source } = setUp();
    const [copy] = store.copyPlacements([source], store.createFolder('bob@example.test', 'B'));
    store.deliver({ raw: Buffer.from('x\r\n'), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'api' });
    expect(store.isSeen(message)).toBe(false);
    store.setFlags([copy], ['\\Seen'], 'add');
    expect(store.isSeen(message)).toBe(true);
    store.removePlacements([copy]);
    expect(store.isSeen(message)).toBe(false);
    expect(inbox.placements).toHaveLength(1);
  });
});
