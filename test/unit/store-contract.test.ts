import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageStore } from '../../src/store/message-store.js';
import { SqliteBackend } from '../../src/store/sqlite/sqlite-backend.js';
import { storeContract } from './store-contract-suite.js';

storeContract({
  name: 'in memory',
  open: (options) => new MessageStore({ maxMessages: 0, ...options }),
});

// One directory per test; a small body cache so reads really go to the file.
const dirs = new Map<MessageStore, string>();
const open = (dir: string, options = {}) => {
  const store = new MessageStore({ maxMessages: 0, ...options }, SqliteBackend.open(dir, { bodyCacheBytes: 200 }));
  dirs.set(store, dir);
  return store;
};

storeContract({
  name: 'SQLite (--data-dir)',
  open: (options) => open(mkdtempSync(join(tmpdir(), 'mailsandbox-contract-')), options),
  reopen: async (store, options) => {
    const dir = dirs.get(store)!;
    await store.close();
    dirs.delete(store);
    return open(dir, options);
  },
  cleanup: async () => {
    for (const [store, dir] of dirs) {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    dirs.clear();
  },
});
