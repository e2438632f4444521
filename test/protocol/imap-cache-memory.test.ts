import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { RawImap } from './imap-raw-client.js';
import { heapAfterGc } from './heap-helpers.js';

const count = 2000;
const user = 'cache@example.test';
let sandbox: Sandbox;
let imap: RawImap;

beforeAll(async () => {
  sandbox = await createSandbox({ logLevel: 'silent', smtp: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imaps: { port: false }, http: { port: false } });
  const words = 'alpha beta gamma delta order invoice reset code team release '.repeat(15);
  for (let i = 0; i < count; i++) {
    const b = `b${i}`;
    const raw = `From: Sender ${i % 50} <s${i % 50}@example.test>\r\nTo: ${user}\r\nSubject: Message ${i}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <m${i}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=${b}\r\n\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${words}\r\n--${b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>${words}</p>\r\n--${b}--\r\n`;
    sandbox.store.deliver({ raw: Buffer.from(raw), envelope: { mailFrom: '', rcptTo: [user] }, source: 'api' });
  }
  imap = await RawImap.connect(sandbox.ports.imap!);
  await imap.command('L', `LOGIN ${user} x`);
  await imap.command('S', 'EXAMINE INBOX');
}, 60_000);

afterAll(async () => {
  imap?.end();
  await sandbox?.close();
});

describe('the IMAP server caches', () => {
  it('keep a header sync as its wire forms, not a parsed MIME tree per message', async () => {
    const before = heapAfterGc();
    const reply = await imap.command('H', 'FETCH 1:* (UID ENVELOPE BODYSTRUCTURE)', 60_000);
    expect(reply.match(/^\* \d+ FETCH /gm)).toHaveLength(count);
    const perMessage = (heapAfterGc() - before) / count;
    // ~1.9 KB a message here: the ENVELOPE and BODYSTRUCTURE kept as text (~550 bytes), the session transcript's copy
    // of the line, the cache entries. Keeping each message's tree as well made it ~5.7 KB.
    expect(perMessage).toBeLessThan(3000);
    // Kept all the same: the second sync sends the same bytes.
    expect(await imap.command('I', 'FETCH 1:* (UID ENVELOPE BODYSTRUCTURE)', 60_000)).toBe(reply.replace(/^H /m, 'I '));
  }, 120_000);
});
