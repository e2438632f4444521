import { describe, expect, it, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { MessageStore } from '../../src/store/message-store.js';
import type { StoreOptions } from '../../src/store/types.js';
import type { StoreChange } from '../../src/store/store-change.js';

/**
 * The storage seam's contract (SPEC §11): every store backend passes these. A backend file calls
 * `storeContract({ name, open, reopen })`; `reopen` (durable backends only) closes a store and opens its data
 * again, and then every test also checks that the reopened store holds exactly the same state (messages byte-exact,
 * mailboxes, folders, UIDVALIDITY/UIDNEXT, UIDs, flags, tags, relays, and the CONDSTORE/QRESYNC state: every
 * placement's MODSEQ, each folder's HIGHESTMODSEQ and its expunged-UID memory, exactly).
 */
export interface ContractBackend {
  name: string;
  /** A new, empty store. */
  open(options?: Partial<StoreOptions>): Promise<MessageStore> | MessageStore;
  /** Closes the store and opens the same data again; absent for a store that keeps nothing (memory). */
  reopen?(store: MessageStore, options?: Partial<StoreOptions>): Promise<MessageStore> | MessageStore;
  /** Called after each test (remove temp dirs, drop schemas). */
  cleanup?(): Promise<void> | void;
}

const eml = (subject: string, to = 'ann@example.test', extra = '') =>
  Buffer.from(`From: Bob <bob@example.test>\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@x>\r\n${extra}\r\nHello ${subject}\r\n.dot line\r\n\r\n`);

/** Everything a restart must keep, as plain data. */
export function stateOf(store: MessageStore) {
  const messages = [...store.newestFirst()].reverse().map((m) => ({
    id: m.id,
    seq: m.seq,
    sha256: createHash('sha256').update(m.raw).digest('hex'),
    size: m.size,
    receivedAt: m.receivedAt.toISOString(),
    envelope: m.envelope,
    source: m.source,
    connection: m.connection,
    subject: m.summary.subject,
    summary: { ...m.summary, date: m.summary.date?.toISOString() ?? null },
    tags: [...m.tags],
    relays: [...m.relays],
    seen: store.isSeen(m),
    mailboxes: [...store.mailboxesOf(m)].sort(),
  }));
  const mailboxes = store
    .mailboxes()
    .map((mb) => ({
      address: mb.address,
      lostSubscriptions: [...mb.lostSubscriptions].sort(),
      folders: [...mb.folders.values()]
        .map((f) => ({
          name: f.name,
          uidValidity: f.uidValidity,
          uidNext: f.uidNext,
          specialUse: f.specialUse ?? null,
          subscribed: f.subscribed,
          highestModseq: f.highestModseq,
          vanished: { uids: [...f.vanished.uids], modseqs: [...f.vanished.modseqs], floor: f.vanished.floor },
          placements: f.placements.map((p) => ({ uid: p.uid, id: p.message.id, flags: [...p.flags].sort(), internalDate: p.internalDate.toISOString(), modseq: p.modseq })),
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    }))
    .sort((a, b) => a.address.localeCompare(b.address));
  // Fault rules are store state too (issue #14): ids, every field, hits and spent.
  const faultRules = store.faults.list().map((r) => ({ ...r }));
  return { messages, mailboxes, lastSeq: store.lastSeq, bytes: store.stats().bytes, faultRules };
}

export function storeContract(backend: ContractBackend): void {
  describe(`store contract: ${backend.name}`, () => {
    const open: ContractBackend['open'] = (options) => backend.open(options);
    afterEach(async () => {
      await backend.cleanup?.();
    });

    /** Durable backends: reopening gives the same state, and the next delivery continues the UIDs. */
    async function afterRestart(store: MessageStore, options?: Partial<StoreOptions>): Promise<MessageStore> {
      await store.durable();
      if (!backend.reopen) return store;
      const before = stateOf(store);
      const again = await backend.reopen(store, options);
      expect(stateOf(again)).toEqual(before);
      return again;
    }

    it('keeps the exact bytes, envelope and header summary of a delivered message', async () => {
      const store = await open();
      const raw = Buffer.concat([Buffer.from('Subject: =?UTF-8?B?w6l0w6k=?=\r\nTo: x@y.test\r\n\r\n'), Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10])]);
      const m = store.deliver({ raw, envelope: { mailFrom: 'a@b.test', rcptTo: ['x@y.test'] }, source: 'smtp', connection: { tls: true, remoteAddress: '127.0.0.1', heloName: 'h' } });
      await store.durable();
      expect(store.get(m.id)?.raw.equals(raw)).toBe(true);
      const again = await afterRestart(store);
      const back = again.get(m.id)!;
      expect(back.raw.equals(raw)).toBe(true);
      expect(back.summary.subject).toBe('été');
      expect(back.connection).toEqual({ tls: true, remoteAddress: '127.0.0.1', heloName: 'h' });
    });

    it('gives ascending UIDs per folder, distinct UIDVALIDITYs, and never reuses them after a restart', async () => {
      let store = await open();
      const a = store.deliver({ raw: eml('a'), envelope: { mailFrom: 'b@x', rcptTo: ['ann@example.test', 'bob@example.test'] }, source: 'smtp' });
      store.deliver({ raw: eml('b'), envelope: { mailFrom: 'b@x', rcptTo: ['ann@example.test'] }, source: 'smtp' });
      expect(store.placementsOf(a).map((p) => p.uid)).toEqual([1, 1]);
      const folder = store.createFolder('ann@example.test', 'Work/2024');
      store.deleteFolder('ann@example.test', 'Work/2024');
      const validities = new Set(store.mailboxes().flatMap((mb) => [...mb.folders.values()].map((f) => f.uidValidity)));
      expect(validities.size).toBe(10);
      store = await afterRestart(store);
      const c = store.deliver({ raw: eml('c'), envelope: { mailFrom: 'b@x', rcptTo: ['ann@example.test'] }, source: 'smtp' });
      expect(store.placementsOf(c)[0].uid).toBe(3);
      expect(c.seq).toBeGreaterThan(a.seq + 1);
      const recreated = store.createFolder('ann@example.test', 'Work/2024');
      expect(recreated.uidValidity).toBeGreaterThan(folder.uidValidity);
      expect(validities.has(recreated.uidValidity)).toBe(false);
      await afterRestart(store);
    });

    it('sets, adds and removes flags and keywords, emitting one event per changed placement', async () => {
      let store = await open();
      const m = store.deliver({ raw: eml('f'), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'api', targets: [{ mailbox: 'ann@example.test', flags: ['\\Draft'] }] });
      const [p] = store.placementsOf(m);
      const events: string[] = [];
      store.on('placement.flags', (pl) => events.push([...pl.flags].sort().join(' ')));
      expect(store.setFlags([p], ['\\Seen', '$Label1'], 'add')).toHaveLength(1);
      expect(store.setFlags([p], ['\\Seen'], 'add')).toHaveLength(0);
      store.setFlags([p], ['\\Draft'], 'remove');
      expect(events).toEqual(['$Label1 \\Draft \\Seen', '$Label1 \\Seen']);
      expect(store.isSeen(m)).toBe(true);
      store = await afterRestart(store);
      const [q] = store.placementsOf(store.get(m.id)!);
      expect([...q.flags].sort()).toEqual(['$Label1', '\\Seen']);
      store.setFlags([q], ['\\Flagged'], 'set');
      store = await afterRestart(store);
      expect([...store.placementsOf(store.get(m.id)!)[0].flags]).toEqual(['\\Flagged']);
      expect(store.isSeen(store.get(m.id)!)).toBe(false);
    });

    it('copies with new UIDs, expunges placements, and deletes a message when its last placement goes', async () => {
      let store = await open();
      const m = store.deliver({ raw: eml('c'), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'smtp' });
      const trash = store.getFolder('ann@example.test', 'Trash')!;
      const [copy] = store.copyPlacements(store.placementsOf(m), trash);
      expect(copy.uid).toBe(1);
      const [again] = store.copyPlacements([copy], trash, undefined, ['\\Deleted']);
      expect(again.uid).toBe(2);
      store.removePlacements([again]);
      store = await afterRestart(store);
      expect(store.placementsOf(store.get(m.id)!).map((p) => `${p.folder.name}:${p.uid}`)).toEqual(['INBOX:1', 'Trash:1']);
      expect(store.getFolder('ann@example.test', 'Trash')!.uidNext).toBe(3);
      const deleted: string[] = [];
      store.on('message.deleted', (d, reason) => deleted.push(`${d.id} ${reason}`));
      store.removePlacements(store.placementsOf(store.get(m.id)!));
      expect(deleted).toEqual([`${m.id} expunged`]);
      store = await afterRestart(store);
      expect(store.get(m.id)).toBeUndefined();
      expect(store.size).toBe(0);
      expect(store.getFolder('ann@example.test', 'INBOX')!.uidNext).toBe(2);
    });

    it('creates, renames (children too), subscribes and deletes folders', async () => {
      let store = await open();
      store.createFolder('ann@example.test', 'Work');
      store.createFolder('ann@example.test', 'Work/2024', { subscribed: false });
      const m = store.deliver({ raw: eml('w'), envelope: { mailFrom: '', rcptTo: [] }, source: 'api', targets: [{ mailbox: 'ann@example.test', folder: 'Work/2024' }] });
      store.renameFolder('ann@example.test', 'Work', 'Jobs');
      store.setSubscribed(store.getFolder('ann@example.test', 'Jobs')!, false);
      expect(() => store.createFolder('ann@example.test', 'Jobs')).toThrow(/already exists/);
      store = await afterRestart(store);
      const mb = store.getMailbox('ann@example.test')!;
      expect([...mb.folders.keys()].sort()).toEqual(['Drafts', 'INBOX', 'Jobs', 'Jobs/2024', 'Junk', 'Sent', 'Trash']);
      expect(mb.folders.get('Jobs')!.subscribed).toBe(false);
      expect(store.placementsOf(store.get(m.id)!)[0].folder.name).toBe('Jobs/2024');
      store.deleteFolder('ann@example.test', 'Jobs/2024');
      store = await afterRestart(store);
      expect(store.get(m.id)).toBeUndefined();
      expect(store.getFolder('ann@example.test', 'Jobs/2024')).toBeUndefined();
    });

    it('keeps a subscription after its folder is deleted, gives it back when the name is created again, and lets a name with no folder be subscribed', async () => {
      let store = await open();
      store.createFolder('ann@example.test', 'Old', { subscribed: true });
      store.createFolder('ann@example.test', 'Quiet', { subscribed: false });
      store.deleteFolder('ann@example.test', 'Old');
      store.deleteFolder('ann@example.test', 'Quiet');
      store.setSubscribedName('ann@example.test', 'Never', true);
      store.setSubscribedName('ann@example.test', 'Gone', true);
      store.setSubscribedName('ann@example.test', 'Gone', false);
      expect([...store.getMailbox('ann@example.test')!.lostSubscriptions].sort()).toEqual(['Never', 'Old']);
      store = await afterRestart(store);
      expect([...store.getMailbox('ann@example.test')!.lostSubscriptions].sort()).toEqual(['Never', 'Old']);
      expect(store.createFolder('ann@example.test', 'Old', { subscribed: false }).subscribed).toBe(true);
      store.createFolder('ann@example.test', 'Tmp', { subscribed: false });
      store.renameFolder('ann@example.test', 'Tmp', 'Never');
      store = await afterRestart(store);
      const mb = store.getMailbox('ann@example.test')!;
      expect([...mb.lostSubscriptions]).toEqual([]);
      expect([mb.folders.get('Old')!.subscribed, mb.folders.get('Never')!.subscribed]).toEqual([true, true]);
    });

    it('renaming INBOX moves its messages to the new folder and leaves INBOX empty', async () => {
      let store = await open();
      const m = store.deliver({ raw: eml('i'), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'smtp' });
      store.setFlags(store.placementsOf(m), ['\\Seen'], 'add');
      store.renameFolder('ann@example.test', 'INBOX', 'Old');
      store = await afterRestart(store);
      expect(store.getFolder('ann@example.test', 'INBOX')!.placements).toHaveLength(0);
      const [p] = store.getFolder('ann@example.test', 'Old')!.placements;
      expect(p.message.id).toBe(m.id);
      expect([...p.flags]).toEqual(['\\Seen']);
    });

    it('keeps tags and relay records', async () => {
      let store = await open();
      const m = store.deliver({ raw: eml('t', 'ann+signup@example.test', 'X-Tags: qa, QA, Urgent\r\n'), envelope: { mailFrom: '', rcptTo: ['ann+signup@example.test'] }, source: 'smtp' });
      expect(m.tags).toEqual(['qa', 'Urgent', 'signup']);
      store.setTags(m.id, ['Release', 'release', 'x']);
      store.recordRelay(m.id, { at: '2026-01-01T00:00:00.000Z', to: ['r@x'], relay: 'smtp://127.0.0.1:25', reply: '250 ok', ok: true });
      store = await afterRestart(store);
      const back = store.get(m.id)!;
      expect(back.tags).toEqual(['Release', 'x']);
      expect(back.relays).toHaveLength(1);
      expect(back.relays[0].reply).toBe('250 ok');
    });

    it('deletes a message outright, clears everything but keeps folders and UIDNEXT, and drops a mailbox', async () => {
      let store = await open();
      const a = store.deliver({ raw: eml('a'), envelope: { mailFrom: '', rcptTo: ['ann@example.test', 'bob@example.test'] }, source: 'smtp' });
      store.deliver({ raw: eml('b'), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'smtp' });
      expect(store.deleteMessage(a.id)).toBe(true);
      expect(store.deleteMessage(a.id)).toBe(false);
      store = await afterRestart(store);
      expect(store.size).toBe(1);
      store.clear();
      store = await afterRestart(store);
      expect(store.size).toBe(0);
      expect(store.stats().bytes).toBe(0);
      expect(store.getFolder('ann@example.test', 'INBOX')!.uidNext).toBe(3);
      expect(store.deleteMailbox('bob@example.test')).toBe(true);
      store = await afterRestart(store);
      expect(store.mailboxes().map((mb) => mb.address)).toEqual(['ann@example.test']);
    });

    it('keeps MODSEQs, HIGHESTMODSEQ and the bounded expunged-UID memory exactly across changes and restarts', async () => {
      let store = await open();
      const to = { mailFrom: '', rcptTo: ['ann@example.test'] };
      const ids = ['a', 'b', 'c', 'd'].map((s) => store.deliver({ raw: eml(s), envelope: to, source: 'smtp' }).id);
      const inbox = () => store.getFolder('ann@example.test', 'INBOX')!;
      const high = inbox().highestModseq;
      store = await afterRestart(store);
      expect(inbox().highestModseq).toBe(high);
      store.setFlags([inbox().placements[1]], ['\\Seen'], 'add');
      store.setTags(ids[2], ['x']);
      store.removePlacements([inbox().placements[0]]);
      store.copyPlacements([inbox().placements[0]], store.getFolder('ann@example.test', 'Trash')!);
      store = await afterRestart(store);
      expect(inbox().highestModseq).toBe(high + 3);
      expect(inbox().placements.map((p) => [p.uid, p.modseq])).toEqual([[2, high + 1], [3, high + 2], [4, high]]);
      expect(inbox().vanished).toEqual({ uids: [1], modseqs: [high + 3], floor: 0 });
      // Past the bound the oldest expunges are forgotten and the floor says up to which MODSEQ, after a restart too.
      const many = store.deliver({ raw: eml('many'), envelope: to, source: 'smtp' });
      const first = store.placementsOf(many)[0];
      const copies = store.copyPlacements(Array.from({ length: 10_001 }, () => first), inbox());
      const cut = inbox().highestModseq + 1;
      store.removePlacements(copies.slice(0, 2));
      store.removePlacements(copies.slice(2));
      store.deleteMessage(ids[3]);
      store = await afterRestart(store);
      expect(inbox().vanished.uids).toHaveLength(10_000);
      expect(inbox().vanished.floor).toBe(cut);
      store.renameFolder('ann@example.test', 'Trash', 'Bin');
      store.clear();
      store = await afterRestart(store);
      expect(store.getFolder('ann@example.test', 'Bin')!.vanished.uids).toEqual([1]);
      store.renewUidValidity('ann@example.test', 'INBOX');
      store = await afterRestart(store);
      expect(inbox().vanished).toEqual({ uids: [], modseqs: [], floor: 0 });
    });

    it('renews a folder UIDVALIDITY and renumbers its messages from 1', async () => {
      let store = await open();
      for (const s of ['a', 'b', 'c']) store.deliver({ raw: eml(s), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'smtp' });
      store.removePlacements([store.getFolder('ann@example.test', 'INBOX')!.placements[0]]);
      const before = store.getFolder('ann@example.test', 'INBOX')!.uidValidity;
      const folder = store.renewUidValidity('ann@example.test', 'INBOX');
      expect(folder.uidValidity).toBeGreaterThan(before);
      expect(folder.placements.map((p) => p.uid)).toEqual([1, 2]);
      store = await afterRestart(store);
      const back = store.getFolder('ann@example.test', 'INBOX')!;
      expect(back.uidValidity).toBe(folder.uidValidity);
      expect(back.uidNext).toBe(3);
    });

    it('evicts the oldest messages past --max-messages and --max-size, and by age on request, counting each cause', async () => {
      let store = await open({ maxMessages: 3, maxSize: 9_100 });
      const ids = ['1', '2', '3', '4', '5'].map((s) => store.deliver({ raw: eml(s), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'smtp' }).id);
      expect([...store.newestFirst()].map((m) => m.id)).toEqual(ids.slice(2).reverse());
      expect(store.stats().evictedBy.maxMessages).toBe(2);
      store.deliver({ raw: Buffer.alloc(9_000, 'x'), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'smtp' });
      expect(store.stats().evictedBy.maxSize).toBeGreaterThan(0);
      expect(store.stats().bytes).toBeLessThanOrEqual(9_100);
      store = await afterRestart(store, { maxMessages: 3, maxSize: 9_100 });
      const old = store.deliver({ raw: eml('old'), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'smtp', receivedAt: new Date('2020-01-01') });
      expect(store.evictOlderThan(new Date('2021-01-01'))).toBe(1);
      expect(store.get(old.id)).toBeUndefined();
      expect(store.stats().evictedBy.maxAge).toBe(1);
      await afterRestart(store, { maxMessages: 3, maxSize: 9_100 });
    });

    it('refuses a delivery to a missing folder or past a limit without leaving anything behind', async () => {
      let store = await open({ maxMailboxes: 1, maxFolderMessages: 1 });
      expect(() => store.deliver({ raw: eml('x'), envelope: { mailFrom: '', rcptTo: [] }, source: 'api', targets: [{ mailbox: 'ann@example.test', folder: 'Nope' }] })).toThrow(/No folder/);
      expect(() => store.deliver({ raw: eml('x'), envelope: { mailFrom: '', rcptTo: ['a@x', 'b@x'] }, source: 'smtp' })).toThrow(/at most 1 mailboxes/);
      expect(store.mailboxes()).toHaveLength(0);
      store.deliver({ raw: eml('x'), envelope: { mailFrom: '', rcptTo: ['a@x'] }, source: 'smtp' });
      expect(() => store.deliver({ raw: eml('y'), envelope: { mailFrom: '', rcptTo: ['a@x'] }, source: 'smtp' })).toThrow(/at most 1 messages/);
      store = await afterRestart(store, { maxMailboxes: 1, maxFolderMessages: 1 });
      expect(store.size).toBe(1);
    });

    it('keeps fault rules with their hits and spent state: added, fired, removed and cleared rules stay as they were across restarts', async () => {
      let store = await open();
      const greylist = store.faults.add({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Try again later', times: 1, per: 'sender+recipient' });
      const twice = store.faults.add({ protocol: 'imap', on: 'FETCH', action: 'reply', reply: 'NO [UNAVAILABLE] busy', times: 2 });
      const gone = store.faults.add({ protocol: 'pop3', on: 'RETR', action: 'disconnect' });
      const random = store.faults.add({ protocol: 'smtp', on: 'mail', action: 'reply', reply: '421 busy', probability: 0.5 });
      expect(store.faults.check('imap', ['UID FETCH', 'FETCH'], 's1')?.id).toBe(twice.id);
      expect(store.faults.check('smtp', ['rcpt'], 's1', { from: 'a@x.test', to: 'b@x.test' })?.id).toBe(greylist.id);
      expect(store.faults.remove(gone.id)).toBe(true);
      store = await afterRestart(store);
      expect(store.faults.list().map((r) => [r.id, r.hits, r.spent])).toEqual([
        [greylist.id, 1, false],
        [twice.id, 1, false],
        [random.id, 0, false],
      ]);
      // The seed the store chose is kept: the rule's random sequence is the same after a restart.
      expect(store.faults.get(random.id)!.seed).toBe(random.seed);
      // Counting goes on from the kept hits: the second FETCH fault spends the rule.
      expect(store.faults.check('imap', ['FETCH'], 's2')?.id).toBe(twice.id);
      expect(store.faults.get(twice.id)).toMatchObject({ hits: 2, spent: true });
      store = await afterRestart(store);
      expect(store.faults.get(twice.id)).toMatchObject({ hits: 2, spent: true });
      expect(store.faults.check('imap', ['FETCH'], 's3')).toBeNull();
      expect(store.faults.clear()).toBe(3);
      store = await afterRestart(store);
      expect(store.faults.list()).toEqual([]);
      expect(store.faults.has('smtp')).toBe(false);
    });

    it('rules loaded at start replace those an earlier start loaded: the same rule stays (id, hits), API rules are untouched, none doubles', async () => {
      let store = await open();
      const fromApi = store.faults.add({ protocol: 'smtp', on: 'connect', action: 'reply', reply: '421 busy', times: 1 });
      const greeting = { protocol: 'pop3', on: 'connect', action: 'reply', reply: '-ERR busy' };
      const fetch = { protocol: 'imap', on: 'fetch', action: 'delay', delayMs: 10, probability: 0.5 };
      store.faults.loadAtStart([greeting, fetch]);
      const [kept, replaced] = store.faults.list().filter((r) => r.loadedAtStart);
      expect(store.faults.check('pop3', ['connect'], 's1')?.id).toBe(kept.id);
      store = await afterRestart(store);
      // The same file again: nothing changes (the rule without a seed matches the one whose seed the store chose).
      store.faults.loadAtStart([greeting, fetch]);
      expect(store.faults.list().map((r) => [r.id, r.hits])).toEqual([
        [fromApi.id, 0],
        [kept.id, 1],
        [replaced.id, 0],
      ]);
      // An edited file: the rule no longer in it goes, the new one comes; the API's rule stays.
      store.faults.loadAtStart([greeting, { ...fetch, delayMs: 20 }]);
      store = await afterRestart(store);
      const after = store.faults.list();
      expect(after.map((r) => r.id).slice(0, 2)).toEqual([fromApi.id, kept.id]);
      expect(after).toHaveLength(3);
      expect(after[2]).toMatchObject({ on: 'FETCH', delayMs: 20, loadedAtStart: true, hits: 0 });
      expect(after[2].id).not.toBe(replaced.id);
    });

    it('hands the backend change records that replay onto an empty store to the same state (applyChange)', async () => {
      // What a shared backend would hand another process: the records this backend was handed, in order.
      const recorded: StoreChange[] = [];
      const store = await open();
      const spy = new MessageStore({ maxMessages: 0 }, { location: { kind: 'log', path: null }, write: (c) => void recorded.push(c), close: () => undefined });
      for (const s of [spy, store]) {
        const fired = s.faults.add({ protocol: 'imap', on: 'FETCH', action: 'reply', reply: 'NO busy', times: 2 });
        s.faults.add({ protocol: 'pop3', on: 'RETR', action: 'disconnect' });
        s.faults.check('imap', ['FETCH'], 'session');
        s.faults.remove(fired.id);
        const m = s.deliver({ id: 'replayed', raw: eml('r'), envelope: { mailFrom: '', rcptTo: ['ann@example.test'] }, source: 'smtp', receivedAt: new Date(1e12) });
        s.setFlags(s.placementsOf(m), ['\\Seen'], 'add');
        s.createFolder('ann@example.test', 'Keep');
        s.copyPlacements(s.placementsOf(m), s.getFolder('ann@example.test', 'Keep')!);
        s.renameFolder('ann@example.test', 'Keep', 'Kept');
        s.setTags(m.id, ['t']);
      }
      const replica = new MessageStore({ maxMessages: 0 });
      for (const c of recorded) replica.applyChange(c);
      const shape = (st: MessageStore) => {
        const { messages, mailboxes } = stateOf(st);
        // UIDVALIDITYs start at random per store; everything else must agree.
        const faults = st.faults.list().map((r) => ({ on: r.on, hits: r.hits }));
        return { messages, faults, mailboxes: mailboxes.map((mb) => ({ ...mb, folders: mb.folders.map((f) => ({ ...f, uidValidity: 0 })) })) };
      };
      expect(shape(replica)).toEqual(shape(spy));
      expect(shape(await afterRestart(store))).toEqual(shape(spy));
    });
  });
}
