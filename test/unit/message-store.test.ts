import { describe, expect, it } from 'vitest';
import { newMessageId } from '../../src/store/message-id.js';
import { MessageStore, StoreError } from '../../src/store/message-store.js';
import type { Placement, StoredMessage } from '../../src/store/types.js';

const eml = (subject: string, to = 'ann@example.test') =>
  Buffer.from(`From: Bob <bob@example.test>\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@x>\r\n\r\nHello ${subject}\r\n`);

function deliver(store: MessageStore, subject: string, rcptTo = ['ann@example.test']): StoredMessage {
  return store.deliver({ raw: eml(subject), envelope: { mailFrom: 'bob@example.test', rcptTo }, source: 'smtp' });
}

describe('MessageStore', () => {
  it('keeps the exact bytes and the header summary of a delivered message', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const raw = Buffer.from('Subject: =?UTF-8?B?w6l0w6k=?=\r\nFrom: "A, B" <a@b.test>\r\nTo: x@y.test, "Z" <z@y.test>\r\n\r\nbody\r\n.dot\r\n');
    const m = store.deliver({ raw, envelope: { mailFrom: 'a@b.test', rcptTo: ['x@y.test'] }, source: 'smtp' });
    expect(store.get(m.id)?.raw.equals(raw)).toBe(true);
    expect(m.size).toBe(raw.length);
    expect(m.summary.subject).toBe('été');
    expect(m.summary.from).toEqual({ name: 'A, B', address: 'a@b.test' });
    expect(m.summary.to.map((a) => a.address)).toEqual(['x@y.test', 'z@y.test']);
    expect(m.id).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('gives ids that are unique, URL-safe and sort as strings in arrival-time order', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => newMessageId(1_700_000_000_000 + Math.floor(i / 10)));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    // Ids of later milliseconds sort after every id of earlier ones (the stores' id indexes grow at one end).
    for (let i = 10; i < ids.length; i++) expect(ids[i] > ids[i - 10 - (i % 10)]).toBe(true);
    expect(newMessageId(Date.UTC(2100, 0, 1)) > newMessageId(Date.UTC(2030, 0, 1))).toBe(true);
    expect(newMessageId(0).slice(0, 8)).toBe('--------');
    // The first eight characters are the 48-bit time in base 64, most significant digit first.
    const alphabet = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
    const timeDigits = (ms: number) => Array.from({ length: 8 }, (_, i) => alphabet[Math.floor(ms / 2 ** (42 - 6 * i)) % 64]).join('');
    for (const ms of [1, 63, 64, 2 ** 24 - 1, 2 ** 24, 1_764_000_000_123, Date.UTC(2100, 0, 1), 2 ** 48 - 1]) expect(newMessageId(ms).slice(0, 8)).toBe(timeDigits(ms));
  });

  it('refuses a message whose chosen id is taken, the id it made itself last included', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const input = (id: string) => ({ id, raw: eml(id), envelope: { mailFrom: 'bob@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' as const });
    const fresh = newMessageId();
    expect(store.deliver(input(fresh)).id).toBe(fresh);
    expect(() => store.deliver(input(fresh))).toThrow(expect.objectContaining({ code: 'ALREADYEXISTS' }));
    store.deliver(input('chosen-1'));
    expect(() => store.deliver(input('chosen-1'))).toThrow(expect.objectContaining({ code: 'ALREADYEXISTS' }));
    expect(store.size).toBe(2);
  });

  it('gives each message its own envelope list: a caller may sort one without touching another', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const a = deliver(store, 'a', ['zed@example.test', 'ann@example.test']);
    const b = deliver(store, 'b', ['zed@example.test', 'ann@example.test']);
    expect(a.envelope.rcptTo.sort()).toEqual(['ann@example.test', 'zed@example.test']);
    expect(b.envelope.rcptTo).toEqual(['zed@example.test', 'ann@example.test']);
  });

  it('places a message in the INBOX of every envelope recipient, once per mailbox', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const m = deliver(store, 'multi', ['ann@example.test', 'BCC@Example.test', 'ann@example.test']);
    expect(store.mailboxesOf(m).sort()).toEqual(['ann@example.test', 'bcc@example.test']);
    const placements = store.placementsOf(m);
    expect(placements).toHaveLength(2);
    expect(placements.every((p) => p.folder.name === 'INBOX' && p.uid === 1)).toBe(true);
  });

  it('creates mailboxes with INBOX and the special-use folders', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const mb = store.ensureMailbox('New@Example.test');
    expect(mb.address).toBe('new@example.test');
    expect([...mb.folders.keys()]).toEqual(['INBOX', 'Sent', 'Drafts', 'Trash', 'Junk']);
    expect(mb.folders.get('Sent')?.specialUse).toBe('\\Sent');
  });

  it('gives strictly ascending UIDs per folder and distinct UIDVALIDITY per folder', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const uids = ['a', 'b', 'c'].map((s) => store.placementsOf(deliver(store, s))[0].uid);
    expect(uids).toEqual([1, 2, 3]);
    const folders = [...store.ensureMailbox('ann@example.test').folders.values()];
    expect(new Set(folders.map((f) => f.uidValidity)).size).toBe(folders.length);
  });

  it('emits placement and message events in order, synchronously', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const seen: string[] = [];
    store.on('mailbox.added', (mb) => seen.push(`mailbox ${mb.address}`));
    store.on('placement.added', (p) => seen.push(`placement ${p.mailbox} ${p.uid}`));
    store.on('message.added', (m) => seen.push(`message ${m.summary.subject}`));
    deliver(store, 'x');
    expect(seen).toEqual(['mailbox ann@example.test', 'placement ann@example.test 1', 'message x']);
  });

  it('reads as seen when any placement is \\Seen, and setSeen flips every placement', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const m = deliver(store, 's', ['a@x.test', 'b@x.test']);
    const [pa] = store.placementsOf(m);
    store.setFlags([pa], ['\\Seen'], 'add');
    expect(store.isSeen(m)).toBe(true);
    store.setSeen(m.id, false);
    expect(store.placementsOf(m).some((p) => p.flags.has('\\Seen'))).toBe(false);
    store.setSeen(m.id, true);
    expect(store.placementsOf(m).every((p) => p.flags.has('\\Seen'))).toBe(true);
  });

  it('gives placements without flags one shared empty set, and a placement its own set when its flags change', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const [a] = store.placementsOf(deliver(store, 'a'));
    const [b] = store.placementsOf(deliver(store, 'b'));
    // One empty Set costs about as much as the rest of a placement; unflagged mail (all of SMTP) shares one.
    expect(a.flags).toBe(b.flags);
    expect(() => a.flags.add('\\Seen')).toThrow(/through the store/);
    expect(store.setFlags([a, b], ['\\Deleted'], 'remove')).toEqual([]);
    expect(store.setFlags([a], ['\\Seen'], 'add')).toEqual([a]);
    expect([...a.flags]).toEqual(['\\Seen']);
    expect(b.flags.size).toBe(0);
    const [c] = store.placementsOf(deliver(store, 'c'));
    expect(c.flags).toBe(b.flags);
    const copy = store.copyPlacement(a, store.ensureMailbox('bob@example.test').folders.get('INBOX')!);
    expect([...copy.flags]).toEqual(['\\Seen']);
    expect(copy.flags).not.toBe(a.flags);
  });

  it('emits placement.flags only for placements whose flags changed, with the origin', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const m = deliver(store, 'f');
    const origin = {};
    const events: Array<[Placement, unknown]> = [];
    store.on('placement.flags', (p, o) => events.push([p, o]));
    store.setFlags(store.placementsOf(m), ['\\Flagged'], 'add', origin);
    store.setFlags(store.placementsOf(m), ['\\Flagged'], 'add', origin);
    expect(events).toHaveLength(1);
    expect(events[0][1]).toBe(origin);
  });

  it('deletes a message from every mailbox and forgets it', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const m = deliver(store, 'd', ['a@x.test', 'b@x.test']);
    const removed: number[] = [];
    store.on('placement.removed', (p) => removed.push(p.uid));
    let deleted: StoredMessage | undefined;
    store.on('message.deleted', (msg) => (deleted = msg));
    expect(store.deleteMessage(m.id)).toBe(true);
    expect(removed).toEqual([1, 1]);
    expect(deleted).toBe(m);
    expect(store.get(m.id)).toBeUndefined();
    expect(store.getFolder('a@x.test', 'INBOX')?.placements).toHaveLength(0);
    expect(store.deleteMessage(m.id)).toBe(false);
  });

  it('keeps a message while another mailbox still holds it, and deletes it with the last placement', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const m = deliver(store, 'p', ['a@x.test', 'b@x.test']);
    const [pa, pb] = store.placementsOf(m);
    store.removePlacements([pa]);
    expect(store.get(m.id)).toBe(m);
    expect(store.mailboxesOf(m)).toEqual(['b@x.test']);
    store.removePlacements([pb]);
    expect(store.get(m.id)).toBeUndefined();
  });

  it('reads a message as seen and in its mailboxes through one copy, two, and back to one', () => {
    // One placement is kept as it is, a second makes a list with counts: every answer must be the same either way.
    const store = new MessageStore({ maxMessages: 0 });
    const m = deliver(store, 'seen', ['a@x.test']);
    const [inbox] = store.placementsOf(m);
    expect(store.isSeen(m)).toBe(false);
    store.setFlags([inbox], ['\\Seen'], 'add');
    expect(store.isSeen(m)).toBe(true);
    const other = store.deliver({ raw: eml('other'), envelope: { mailFrom: '', rcptTo: ['b@x.test'] }, source: 'smtp' });
    const copy = store.copyPlacement(inbox, store.placementsOf(other)[0].folder, []);
    expect(store.placementsOf(m)).toEqual([inbox, copy]);
    expect(store.mailboxesOf(m)).toEqual(['a@x.test', 'b@x.test']);
    expect(store.isSeen(m)).toBe(true);
    store.removePlacements([inbox]);
    expect(store.placementsOf(m)).toEqual([copy]);
    expect(store.mailboxesOf(m)).toEqual(['b@x.test']);
    expect(store.isSeen(m)).toBe(false);
    store.setFlags([copy], ['\\Seen'], 'add');
    expect(store.isSeen(m)).toBe(true);
    const again = store.copyPlacement(copy, inbox.folder, []);
    expect(store.placementsOf(m)).toEqual([copy, again]);
    expect(store.isSeen(m)).toBe(true);
    store.removePlacements([copy, again]);
    expect(store.get(m.id)).toBeUndefined();
    expect(store.placementsOf(m)).toEqual([]);
    expect(store.isSeen(m)).toBe(false);
  });

  it('evicts the oldest messages beyond maxMessages and counts evictions', () => {
    const store = new MessageStore({ maxMessages: 3 });
    const ms = ['1', '2', '3', '4', '5'].map((s) => deliver(store, s));
    expect(store.size).toBe(3);
    expect(store.get(ms[0].id)).toBeUndefined();
    expect(store.get(ms[1].id)).toBeUndefined();
    expect([...store.newestFirst()].map((m) => m.summary.subject)).toEqual(['5', '4', '3']);
    expect(store.stats()).toMatchObject({ messages: 3, received: 5, evicted: 2 });
  });

  it('lists messages after a given seq in arrival order', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const ms = ['a', 'b', 'c', 'd'].map((s) => deliver(store, s));
    store.deleteMessage(ms[2].id);
    expect([...store.since(ms[0].seq)].map((m) => m.summary.subject)).toEqual(['b', 'd']);
    expect([...store.since(store.lastSeq)]).toEqual([]);
  });

  it('copies a placement with a new UID and the same bytes', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const m = deliver(store, 'c');
    const trash = store.getFolder('ann@example.test', 'Trash')!;
    const copy = store.copyPlacement(store.placementsOf(m)[0], trash, ['\\Deleted']);
    expect(copy.uid).toBe(1);
    expect(copy.message).toBe(m);
    expect([...copy.flags]).toEqual(['\\Deleted']);
    expect(store.placementsOf(m)).toHaveLength(2);
  });

  it('refuses delivery to a folder that does not exist', () => {
    const store = new MessageStore({ maxMessages: 0 });
    expect(() =>
      store.deliver({ raw: eml('x'), envelope: { mailFrom: '', rcptTo: ['a@x.test'] }, source: 'imap', targets: [{ mailbox: 'a@x.test', folder: 'Nope' }] }),
    ).toThrow(StoreError);
    expect(store.size).toBe(0);
  });

  it('creates, renames (with children) and deletes folders', () => {
    const store = new MessageStore({ maxMessages: 0 });
    store.createFolder('a@x.test', 'Work');
    store.createFolder('a@x.test', 'Work/2024');
    expect(() => store.createFolder('a@x.test', 'Work')).toThrow(/exists/);
    store.renameFolder('a@x.test', 'Work', 'Jobs');
    expect(store.getFolder('a@x.test', 'Jobs/2024')).toBeDefined();
    expect(store.getFolder('a@x.test', 'Work')).toBeUndefined();
    store.deleteFolder('a@x.test', 'Jobs/2024');
    expect(store.getFolder('a@x.test', 'Jobs/2024')).toBeUndefined();
    expect(() => store.deleteFolder('a@x.test', 'inbox')).toThrow(/INBOX/);
  });

  it('renaming INBOX moves its messages to the new folder and leaves INBOX empty', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const m = deliver(store, 'r', ['a@x.test']);
    store.renameFolder('a@x.test', 'INBOX', 'Old');
    expect(store.getFolder('a@x.test', 'INBOX')?.placements).toHaveLength(0);
    expect(store.getFolder('a@x.test', 'Old')?.placements.map((p) => p.message)).toEqual([m]);
    expect(store.get(m.id)).toBe(m);
  });

  it('claims \\Recent once', () => {
    const store = new MessageStore({ maxMessages: 0 });
    deliver(store, 'x');
    const inbox = store.getFolder('ann@example.test', 'INBOX')!;
    expect(store.claimRecent(inbox).size).toBe(1);
    expect(store.claimRecent(inbox).size).toBe(0);
  });

  it('clear() removes every message, emits placement.removed for each and keeps the mailboxes', () => {
    const store = new MessageStore({ maxMessages: 0 });
    deliver(store, 'a', ['a@x.test', 'b@x.test']);
    deliver(store, 'b');
    let removed = 0;
    let cleared = 0;
    store.on('placement.removed', () => removed++);
    store.on('store.cleared', () => cleared++);
    store.clear();
    expect([removed, cleared, store.size]).toEqual([3, 1, 0]);
    expect(store.mailboxes().map((m) => m.address).sort()).toEqual(['a@x.test', 'ann@example.test', 'b@x.test']);
  });

  it('deleteMailbox drops the mailbox and messages only it held', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const shared = deliver(store, 's', ['a@x.test', 'b@x.test']);
    const only = deliver(store, 'o', ['a@x.test']);
    expect(store.deleteMailbox('A@x.test')).toBe(true);
    expect(store.getMailbox('a@x.test')).toBeUndefined();
    expect(store.get(only.id)).toBeUndefined();
    expect(store.mailboxesOf(store.get(shared.id)!)).toEqual(['b@x.test']);
  });
});

describe('MessageStore refusals', () => {
  it('leaves no mailbox behind when a delivery names a folder that does not exist', () => {
    const store = new MessageStore({ maxMessages: 0 });
    expect(() =>
      store.deliver({ raw: Buffer.from('Subject: x\r\n\r\nx\r\n'), envelope: { mailFrom: '', rcptTo: ['new@x.test'] }, source: 'api', targets: [{ mailbox: 'new@x.test', folder: 'Archive' }] }),
    ).toThrow(/No folder Archive in new@x.test/);
    expect(store.getMailbox('new@x.test')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('delivers to a default folder of a mailbox that does not exist yet', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const m = store.deliver({ raw: Buffer.from('Subject: x\r\n\r\nx\r\n'), envelope: { mailFrom: '', rcptTo: ['new@x.test'] }, source: 'api', targets: [{ mailbox: 'New@X.test', folder: 'Sent' }] });
    expect(store.placementsOf(m)[0].folder.name).toBe('Sent');
  });
});

describe('MessageStore.bodyBuffer', () => {
  it('packs small bodies kept in memory into shared slabs and gives a large one a buffer of its own', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const a = store.bodyBuffer(1024);
    const b = store.bodyBuffer(2048);
    expect(b.buffer).toBe(a.buffer);
    const large = store.bodyBuffer(2049);
    expect(large.buffer).not.toBe(a.buffer);
    expect(large.buffer.byteLength).toBe(2049);
  });

  it('keeps an SMTP transcript in the body\'s slab when it fits right after the body, and reads it back either way', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const transcript = '0c Mann@example.test>\n0sf\n0*naïve ☃ note';
    const deliver = (raw: Buffer, id: string) => store.deliver({ id, raw, envelope: { mailFrom: 'ann@example.test', rcptTo: ['bob@example.test'] }, source: 'smtp', transcript });
    const raw = store.bodyBuffer(20).fill('x');
    raw.write('Subject: a\r\n\r\nbody');
    const packed = deliver(raw, 'packed-one');
    const next = store.bodyBuffer(10);
    // Written right after the body: the next body starts after the transcript's UTF-8 bytes.
    expect(next.byteOffset).toBe(raw.byteOffset + raw.length + Buffer.byteLength(transcript));
    expect(packed.transcript).toBe(transcript);
    expect(packed.raw.equals(raw)).toBe(true);
    expect(packed.size).toBe(20);
    // A body that is not the last region taken keeps the transcript as a string.
    const first = store.bodyBuffer(10).fill('a');
    store.bodyBuffer(10);
    const kept = deliver(first, 'kept-one');
    expect(kept.transcript).toBe(transcript);
    expect(kept.raw.toString()).toBe('a'.repeat(10));
    expect(store.get('packed-one')?.transcript).toBe(transcript);
  });
});
