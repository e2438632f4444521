// Writes fixtures/durable/layout-2.db: layout-1.db opened (so migrated) by the store of layout 2, then one delivery,
// one flag change and one expunge written by it. Run from a commit whose store writes layout 2 (f956870, after
// `npm run build`); later layouts must keep opening it: test/integration/durable-store.test.ts.
// Usage: node scripts/make-durable-fixture-2.mjs
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageStore } from '../dist/store/message-store.js';
import { SqliteBackend } from '../dist/store/sqlite/sqlite-backend.js';

const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-fixture-'));
copyFileSync('fixtures/durable/layout-1.db', join(dir, 'mailsandbox.db'));
const store = new MessageStore({ maxMessages: 0 }, SqliteBackend.open(dir));
const raw = Buffer.from('From: c@example.test\r\nTo: ann@example.test\r\nSubject: third\r\n\r\nBody of third\r\n');
const m = store.deliver({ id: 'fixture-c', raw, envelope: { mailFrom: 'c@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });
const inbox = store.getFolder('ann@example.test', 'INBOX');
store.setFlags([inbox.placements.find((p) => p.message.id === m.id)], ['\\Flagged'], 'add');
store.removePlacements([inbox.placements.find((p) => p.message.id === 'fixture-b')]);
await store.close();
copyFileSync(join(dir, 'mailsandbox.db'), 'fixtures/durable/layout-2.db');
rmSync(dir, { recursive: true, force: true });
console.log('wrote fixtures/durable/layout-2.db');
