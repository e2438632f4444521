import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type BetterSqlite3 from 'better-sqlite3';
import { MessageStore } from '../../src/store/message-store.js';
import { SqliteBackend, databaseFile } from '../../src/store/sqlite/sqlite-backend.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

const mail = (i: number) => Buffer.from(`From: a@example.test\r\nTo: ann@example.test\r\nSubject: group ${i}\r\n\r\nbody ${i}\r\n`);
const deliver = (store: MessageStore, i: number) => store.deliver({ raw: mail(i), envelope: { mailFrom: 'a@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });

describe('the durable store groups commits', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  function openStore(): { store: MessageStore; reader: BetterSqlite3.Database } {
    const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-group-'));
    const store = new MessageStore({ maxMessages: 0 }, SqliteBackend.open(dir));
    // Another connection to the file: it sees only what is committed, as the next process would after a kill -9.
    const reader = new Database(join(dir, databaseFile), { readonly: true });
    cleanups.push(async () => {
      reader.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { store, reader };
  }

  const committedIds = (reader: BetterSqlite3.Database) => (reader.prepare('SELECT id FROM messages ORDER BY seq').all() as Array<{ id: string }>).map((r) => r.id);

  it('acknowledges a change only once it is committed: durable() resolves after another connection can read it', async () => {
    const { store, reader } = openStore();
    const first = deliver(store, 1);
    // Applied to the model (the protocols read it at once), not yet committed: nothing to acknowledge yet.
    expect(store.get(first.id)).toBe(first);
    expect(committedIds(reader)).toEqual([]);
    await store.durable();
    expect(committedIds(reader)).toEqual([first.id]);
    expect((reader.prepare('SELECT raw FROM bodies WHERE id = ?').get(first.id) as { raw: Buffer }).raw.equals(mail(1))).toBe(true);
  });

  it('commits the deliveries of several sessions in one turn together, each acknowledged at that commit', async () => {
    const { store, reader } = openStore();
    const versionBefore = reader.pragma('data_version', { simple: true }) as number;
    const sessions = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => {
      const m = deliver(store, i);
      return store.durable().then(() => ({ id: m.id, committed: committedIds(reader).includes(m.id) }));
    });
    const acks = await Promise.all(sessions);
    // Every acknowledgement found its message committed...
    expect(acks.every((a) => a.committed)).toBe(true);
    expect(committedIds(reader)).toEqual(acks.map((a) => a.id));
    // ...and the eight (with the mailbox they created) were one transaction: the file changed once for this reader.
    expect((reader.pragma('data_version', { simple: true }) as number) - versionBefore).toBe(1);
  });
  it('holds the commit one more event-loop turn while turns keep bringing writes, so a burst shares one commit', async () => {
    const { store, reader } = openStore();
    deliver(store, 0); // the mailbox's creation: committed on its own first
    await store.durable();
    const versionBefore = reader.pragma('data_version', { simple: true }) as number;
    const ids = [deliver(store, 1).id];
    // A second write in the same turn, then a third in the next turn, as a busy SMTP listener's reads bring them.
    await Promise.resolve();
    ids.push(deliver(store, 2).id);
    const third = new Promise<void>((resolve) =>
      setImmediate(() => {
        ids.push(deliver(store, 3).id);
        resolve();
      }),
    );
    await third;
    // Not committed yet when the third came: the commit waited a turn because the second one had arrived.
    expect(committedIds(reader)).not.toContain(ids[0]);
    await store.durable();
    expect(committedIds(reader).slice(1)).toEqual(ids);
    expect((reader.pragma('data_version', { simple: true }) as number) - versionBefore).toBe(1);
  });
});
