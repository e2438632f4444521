// Writes fixtures/durable/layout-1.db with the store of layout 1 (run from the commit that introduced layout 1;
// later layouts must keep opening it: test/integration/durable-store.test.ts). Usage: node scripts/make-durable-fixture.mjs
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageStore } from '../dist/store/message-store.js';
import { SqliteBackend } from '../dist/store/sqlite/sqlite-backend.js';

const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-fixture-'));
const store = new MessageStore({ maxMessages: 0 }, SqliteBackend.open(dir));
const eml = (subject, to) => Buffer.from(`From: Bob <bob@example.test>\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@fixture>\r\nX-Tags: fixture\r\n\r\nBody of ${subject}\r\n`);
const a = store.deliver({ id: 'fixture-a', raw: eml('first', 'ann@example.test'), envelope: { mailFrom: 'bob@example.test', rcptTo: ['ann@example.test', 'cid@example.test'] }, source: 'smtp', receivedAt: new Date('2026-01-01T10:00:00Z') });
store.deliver({ id: 'fixture-b', raw: eml('second', 'ann@example.test'), envelope: { mailFrom: 'bob@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp', receivedAt: new Date('2026-01-01T11:00:00Z') });
store.setFlags(store.placementsOf(a).filter((p) => p.mailbox === 'ann@example.test'), ['\\Seen', '$Label1'], 'add');
store.createFolder('ann@example.test', 'Projects/2026');
store.copyPlacements(store.placementsOf(a).slice(0, 1), store.getFolder('ann@example.test', 'Projects/2026'));
store.setTags('fixture-b', ['fixture', 'kept']);
await store.close();
copyFileSync(join(dir, 'mailsandbox.db'), 'fixtures/durable/layout-1.db');
rmSync(dir, { recursive: true });
console.log('wrote fixtures/durable/layout-1.db');
