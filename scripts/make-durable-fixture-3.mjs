// Writes fixtures/durable/layout-3.db: layout-2.db opened (so migrated) by the store of layout 3, then one delivery
// and one flag change written by it. Run from a commit whose store writes layout 3 (1d07484, after `npm run build`);
// later layouts must keep opening it: test/integration/durable-store.test.ts.
// Usage: node scripts/make-durable-fixture-3.mjs
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageStore } from '../dist/store/message-store.js';
import { SqliteBackend } from '../dist/store/sqlite/sqlite-backend.js';

const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-fixture-'));
copyFileSync('fixtures/durable/layout-2.db', join(dir, 'mailsandbox.db'));
const store = new MessageStore({ maxMessages: 0 }, SqliteBackend.open(dir));
const raw = Buffer.from('From: d@example.test\r\nTo: ann@example.test\r\nSubject: fourth\r\n\r\nBody of fourth\r\n');
const m = store.deliver({ id: 'fixture-d', raw, envelope: { mailFrom: 'd@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });
const inbox = store.getFolder('ann@example.test', 'INBOX');
store.setFlags([inbox.placements.find((p) => p.message.id === m.id)], ['\\Answered'], 'add');
await store.close();
copyFileSync(join(dir, 'mailsandbox.db'), 'fixtures/durable/layout-3.db');
rmSync(dir, { recursive: true, force: true });
console.log('wrote fixtures/durable/layout-3.db');
