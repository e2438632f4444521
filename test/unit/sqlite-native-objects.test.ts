import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.js';
import { keptNativeObjectCount } from '../../src/store/sqlite/native-objects.js';
import { SqliteBackend } from '../../src/store/sqlite/sqlite-backend.js';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-native-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const deliver = (store: MessageStore, n: number) =>
  store.deliver({ raw: Buffer.from(`From: a@x.test\r\nTo: b@y.test\r\nSubject: m${n}\r\n\r\nbody ${n}\r\n`), envelope: { mailFrom: 'a@x.test', rcptTo: ['b@y.test'] }, source: 'smtp' });

describe('SQLite store: no better-sqlite3 object is ever garbage (Node 24 aborts when one is collected)', () => {
  it('keeps each database, statement and iterator it makes, and prepares a PRAGMA once per database', async () => {
    const before = keptNativeObjectCount();
    const backend = SqliteBackend.open(freshDir());
    const store = new MessageStore({ maxMessages: 0 }, backend);
    const m = deliver(store, 1);
    await store.durable();
    const opened = keptNativeObjectCount();
    expect(opened).toBeGreaterThan(before + 2); // the database, the lock database and their statements
    expect(store.get(m.id)?.envelope.rcptTo).toEqual(['b@y.test']);
    backend.vacuum();
    const afterFirstVacuum = keptNativeObjectCount();
    for (let i = 0; i < 20; i++) backend.vacuum(); // four PRAGMAs each, all prepared at the first vacuum
    expect(keptNativeObjectCount()).toBe(afterFirstVacuum);
    await store.close();
  });

  it('keeps the statements and iterators a restart reads the tables with, through full collections', async () => {
    // The abort itself needs a collection that runs with no context entered, which a test cannot force; the store
    // contract tests under Node 24 (.ci/node-versions.sh) hit it reliably before this workaround.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 12; i++) {
      const dir = freshDir();
      let store = new MessageStore({ maxMessages: 0 }, SqliteBackend.open(dir));
      const ids = Array.from({ length: 5 }, (_, n) => deliver(store, n).id);
      await store.durable();
      await store.close();
      const beforeRestart = keptNativeObjectCount();
      store = new MessageStore({ maxMessages: 0 }, SqliteBackend.open(dir));
      expect(keptNativeObjectCount()).toBeGreaterThan(beforeRestart + 3); // databases, statements, table iterators
      expect(ids.every((id) => store.get(id)?.raw.includes('body'))).toBe(true);
      await store.close();
      const kept = keptNativeObjectCount();
      gc();
      expect(keptNativeObjectCount()).toBe(kept);
    }
  });
});
