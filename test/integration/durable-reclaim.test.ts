import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type BetterSqlite3 from 'better-sqlite3';
import { MessageStore } from '../../src/store/message-store.js';
import { SqliteBackend, databaseFile } from '../../src/store/sqlite/sqlite-backend.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

// 100 KB each: 300 of them are ~7,500 pages, well past one reclaim step.
const line = 'x'.repeat(76) + '\r\n';
const mail = (i: number) => Buffer.from(`From: a@example.test\r\nTo: ann@example.test\r\nSubject: reclaim ${i}\r\n\r\n${line.repeat(1300)}`);
const deliver = (store: MessageStore, i: number) => store.deliver({ raw: mail(i), envelope: { mailFrom: 'a@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });

/** Pages in use by the database (what the file shrinks to at the next checkpoint), read from another connection. */
function pagesInUse(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number);
  } finally {
    db.close();
  }
}
const pageCount = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('page_count', { simple: true }) as number;
  } finally {
    db.close();
  }
};

describe('the durable store gives the space of deleted messages back', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  async function filled(): Promise<{ store: MessageStore; file: string; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-reclaim-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = new MessageStore({ maxMessages: 0, maxSize: 0 }, SqliteBackend.open(dir));
    for (let i = 0; i < 300; i++) deliver(store, i);
    await store.durable();
    return { store, file: join(dir, databaseFile), dir };
  }

  it('after a clear, in steps once writes are quiet: the file ends up without the cleared pages while the store keeps serving', async () => {
    const { store, file } = await filled();
    const full = pageCount(file);
    expect(full).toBeGreaterThan(7000);
    store.clear();
    await store.durable();
    // Still writable while the reclaim is pending: a delivery after the clear is kept.
    const kept = deliver(store, 1000);
    await store.durable();
    expect(kept.raw.equals(mail(1000))).toBe(true);
    // Wait on the condition (each step is one commit another connection sees): the free pages are gone from the file.
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`pages still at ${pageCount(file)} of ${full}`)), 20_000);
      const check = () => {
        if (pageCount(file) < 200) {
          clearTimeout(deadline);
          resolve();
        } else setTimeout(check, 20);
      };
      check();
    });
    expect(pagesInUse(file)).toBeLessThan(200);
    await store.close();
    // The message delivered after the clear survives the reclaim and the restart, byte-exact.
    const reopened = new MessageStore({ maxMessages: 0, maxSize: 0 }, SqliteBackend.open(join(file, '..')));
    expect(reopened.size).toBe(1);
    expect(reopened.get(kept.id)!.raw.equals(mail(1000))).toBe(true);
    await reopened.close();
  });

  it('finishes a pending reclaim at close, so a stop right after a clear leaves a compact file', async () => {
    const { store, file } = await filled();
    expect(pageCount(file)).toBeGreaterThan(7000);
    store.clear();
    await store.durable();
    await store.close();
    expect(pageCount(file)).toBeLessThan(200);
  });
});
