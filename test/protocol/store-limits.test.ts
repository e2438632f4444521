import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { SandboxOptions } from '../../src/config.js';
import { RawImap } from './imap-raw-client.js';
import { RawSmtpClient } from './smtp-helpers.js';
import { rawConnect } from './pop3-helpers.js';

let sandbox: Sandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

async function start(options: SandboxOptions): Promise<Sandbox> {
  sandbox = await createSandbox({ logLevel: 'silent', ...options });
  return sandbox;
}

const eml = (subject: string) => `From: a@example.test\r\nTo: bob@example.test\r\nSubject: ${subject}\r\n\r\nHello\r\n`;

async function imapLogin(sb: Sandbox, user: string): Promise<RawImap> {
  const c = await RawImap.connect(sb.ports.imap!);
  expect(await c.command('L', `LOGIN ${user} x`)).toMatch(/^L OK/m);
  return c;
}

describe('the per-folder message limit', () => {
  it('answers COPY, MOVE and APPEND past it with NO [LIMIT] and copies nothing', async () => {
    const sb = await start({ limits: { maxFolderMessages: 3 } });
    for (const s of ['one', 'two']) await sb.deliver(eml(s), { to: 'bob@example.test' });
    const c = await imapLogin(sb, 'bob@example.test');
    await c.command('S', 'SELECT INBOX');
    expect(await c.command('C1', 'COPY 1:* INBOX')).toMatch(/^C1 NO \[LIMIT\]/m);
    expect(await c.command('M1', 'MOVE 1:* INBOX')).toMatch(/^M1 NO \[LIMIT\]/m);
    expect(await c.command('C2', 'COPY 1 INBOX')).toMatch(/^C2 OK/m);
    expect(await c.command('C3', 'COPY 1 INBOX')).toMatch(/^C3 NO \[LIMIT\]/m);
    c.write('A1 APPEND INBOX {7}\r\n');
    expect(await c.until(/^A1 .*\r\n|^\+.*\r\n/m)).toMatch(/^\+/m);
    c.write('Hello\r\n\r\n');
    expect(await c.until(/^A1 .*\r\n/m)).toMatch(/^A1 NO \[LIMIT\]/m);
    expect(sb.store.getFolder('bob@example.test', 'INBOX')!.placements).toHaveLength(3);
    c.end();
  });

  it('answers SMTP RCPT TO a full INBOX with 452 4.2.2 for that recipient only', async () => {
    const sb = await start({ limits: { maxFolderMessages: 1 } });
    await sb.deliver(eml('first'), { to: 'bob@example.test' });
    const smtp = await RawSmtpClient.connect(sb.ports.smtp!);
    await smtp.hello();
    expect(await smtp.command('MAIL FROM:<a@example.test>')).toMatch(/^250/);
    expect(await smtp.command('RCPT TO:<bob@example.test>')).toMatch(/^452 4\.2\.2 /);
    expect(await smtp.command('RCPT TO:<ann@example.test>')).toMatch(/^250/);
    expect(await smtp.command('DATA')).toMatch(/^354/);
    expect(await smtp.command(`${eml('second')}.`)).toMatch(/^250/);
    const second = sb.messages({ subject: 'second' });
    expect(second.map((m) => m.mailboxes)).toEqual([['ann@example.test']]);
    smtp.destroy();
  });
});

describe('the per-mailbox folder limit', () => {
  it('answers CREATE past it with NO [LIMIT]', async () => {
    // Every mailbox starts with 5 folders (INBOX, Sent, Drafts, Trash, Junk).
    const sb = await start({ limits: { maxFolders: 6 } });
    const c = await imapLogin(sb, 'bob@example.test');
    expect(await c.command('C1', 'CREATE Work')).toMatch(/^C1 OK/m);
    expect(await c.command('C2', 'CREATE More')).toMatch(/^C2 NO \[LIMIT\]/m);
    expect(sb.store.getMailbox('bob@example.test')!.folders.size).toBe(6);
    c.end();
  });
});

describe('the store-wide mailbox limit', () => {
  it('refuses a new mailbox with SMTP 452 4.3.1, IMAP NO [LIMIT] and POP3 -ERR, and keeps serving existing ones', async () => {
    const sb = await start({ limits: { maxMailboxes: 2 } });
    await sb.deliver(eml('a'), { to: ['ann@example.test', 'bob@example.test'] });
    const smtp = await RawSmtpClient.connect(sb.ports.smtp!);
    await smtp.hello();
    await smtp.command('MAIL FROM:<a@example.test>');
    expect(await smtp.command('RCPT TO:<carol@example.test>')).toMatch(/^452 4\.3\.1 /);
    expect(await smtp.command('RCPT TO:<ann@example.test>')).toMatch(/^250/);
    smtp.destroy();
    const imap = await RawImap.connect(sb.ports.imap!);
    expect(await imap.command('L', 'LOGIN dave@example.test x')).toMatch(/^L NO \[LIMIT\]/m);
    expect(await imap.command('L2', 'LOGIN bob@example.test x')).toMatch(/^L2 OK/m);
    imap.end();
    const { client, socket } = await rawConnect(sb.ports.pop3!);
    client.sendLine('USER erin@example.test');
    await client.readLine();
    client.sendLine('PASS x');
    expect(await client.readLine()).toMatch(/^-ERR /);
    socket.destroy();
    expect(sb.store.stats().mailboxes).toBe(2);
  });
});

describe('/api/v1/info', () => {
  it('reports the store limits, the byte budget and evictions by cause', async () => {
    const sb = await start({});
    const info = (await (await fetch(`${sb.url}/api/v1/info`)).json()) as Record<string, any>;
    expect(info.limits).toMatchObject({ maxFolderMessages: 100_000, maxFolders: 1_000, maxMailboxes: 10_000 });
    expect(info.maxSize).toBe(1024 ** 3);
    expect(info.counts.evictedBy).toEqual({ maxMessages: 0, maxAge: 0, maxSize: 0 });
  });
});

describe('the store byte budget (--max-size)', () => {
  it('evicts the oldest messages once 10 × 1 MiB sent on one SMTP connection pass a 4 MiB budget, and counts them', async () => {
    const sb = await start({ maxSize: 4 * 1024 * 1024, maxMessageSize: 2 * 1024 * 1024 });
    const smtp = await RawSmtpClient.connect(sb.ports.smtp!);
    await smtp.hello();
    const body = ('x'.repeat(1022) + '\r\n').repeat(1024);
    for (let i = 0; i < 10; i++) {
      await smtp.command('MAIL FROM:<a@example.test>');
      await smtp.command('RCPT TO:<bob@example.test>');
      await smtp.command('DATA');
      expect(await smtp.command(`Subject: big ${i}\r\n\r\n${body}.`)).toMatch(/^250/);
    }
    smtp.destroy();
    const stats = sb.store.stats();
    expect(stats.bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(stats.messages).toBe(3);
    expect(stats.evictedBy).toEqual({ maxMessages: 0, maxAge: 0, maxSize: 7 });
    expect(stats.evicted).toBe(7);
    expect(sb.messages().map((m) => m.subject)).toEqual(['big 9', 'big 8', 'big 7']);
    const info = (await (await fetch(`${sb.url}/api/v1/info`)).json()) as Record<string, any>;
    expect(info.counts.evictedBy.maxSize).toBe(7);
    expect(info.counts.evicted).toBe(7);
  });
});
