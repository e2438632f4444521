import { afterEach, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import type { Sandbox } from '../../src/index.js';
import { RawImap } from './imap-raw-client.js';
import { RawSmtpClient } from './smtp-helpers.js';
import { eml, imapSandbox } from './imap-helpers.js';
import type { SandboxOptions } from '../../src/config.js';

/**
 * QUOTA (RFC 9208, SPEC §17): `--quota-messages` and `--quota-size` per mailbox, reported by GETQUOTA/GETQUOTAROOT and
 * enforced on every way in: SMTP `452 4.2.2`, IMAP APPEND/COPY `NO [OVERQUOTA]`, HTTP import and send 507.
 */
let sandbox: Sandbox;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await Promise.resolve(fn()).catch(() => {});
  await sandbox?.close();
});

async function start(options: SandboxOptions): Promise<Sandbox> {
  sandbox = await imapSandbox({ smtp: { port: 0 }, http: { port: 0 }, ...options });
  return sandbox;
}

async function imap(user = 'bob@example.test'): Promise<RawImap> {
  const c = await RawImap.connect(sandbox.ports.imap!);
  cleanups.push(() => c.end());
  expect(await c.command('l', `LOGIN ${user} x`)).toMatch(/^l OK/m);
  return c;
}

async function smtp(): Promise<RawSmtpClient> {
  const c = await RawSmtpClient.connect(sandbox.ports.smtp as number);
  cleanups.push(() => c.destroy());
  await c.hello();
  return c;
}

describe('QUOTA', () => {
  it('reports the quota root and usage, advertises QUOTA=RES-*, and refuses SETQUOTA', async () => {
    await start({ quotaMessages: 10, quotaSize: 100 * 1024 });
    await sandbox.deliver(eml('one'), { to: 'bob@example.test' });
    await sandbox.deliver(eml('two'), { to: 'bob@example.test', folder: 'Trash' });
    const c = await imap();
    expect(await c.command('c', 'CAPABILITY')).toMatch(/ QUOTA QUOTA=RES-MESSAGE QUOTA=RES-STORAGE /);
    const bytes = sandbox.store.getMailbox('bob@example.test')!.usage.bytes;
    expect(await c.command('r', 'GETQUOTAROOT INBOX')).toBe(`* QUOTAROOT "INBOX" ""\r\n* QUOTA "" (MESSAGE 2 10 STORAGE ${Math.ceil(bytes / 1024)} 100)\r\nr OK GETQUOTAROOT completed\r\n`);
    expect(await c.command('q', 'GETQUOTA ""')).toMatch(/^\* QUOTA "" \(MESSAGE 2 10 STORAGE 1 100\)\r\nq OK/m);
    expect(await c.command('q2', 'GETQUOTA "other"')).toMatch(/^q2 NO \[NONEXISTENT\]/m);
    expect(await c.command('s', 'SETQUOTA "" (STORAGE 512)')).toMatch(/^s NO \[NOPERM\]/m);
    expect(await c.command('r2', 'GETQUOTAROOT Nope')).toMatch(/^r2 NO \[NONEXISTENT\]/m);

    // imapflow reads the same numbers.
    const flow = new ImapFlow({ host: '127.0.0.1', port: sandbox.ports.imap!, secure: false, auth: { user: 'bob@example.test', pass: 'x' }, logger: false });
    flow.on('error', () => {});
    await flow.connect();
    cleanups.push(() => flow.logout());
    const quota = await flow.getQuota('INBOX');
    expect(quota && (quota as unknown as Record<string, unknown>).message).toEqual(expect.objectContaining({ usage: 2, limit: 10 }));
    expect(quota && quota.storage).toEqual(expect.objectContaining({ usage: 1024, limit: 100 * 1024 }));
  });

  it('without limits reports an empty quota root and refuses nothing', async () => {
    await start({});
    for (let i = 0; i < 3; i++) await sandbox.deliver(eml(`m${i}`), { to: 'bob@example.test' });
    const c = await imap();
    expect(await c.command('r', 'GETQUOTAROOT INBOX')).toMatch(/^\* QUOTA "" \(\)\r\nr OK/m);
  });

  it('refuses a delivery past --quota-messages on SMTP, IMAP APPEND and COPY, and HTTP, and takes mail again once there is room', async () => {
    await start({ quotaMessages: 2 });
    const s = await smtp();
    for (const subject of ['a', 'b']) {
      expect(await s.command('MAIL FROM:<ann@example.test>')).toMatch(/^250/);
      expect(await s.command('RCPT TO:<bob@example.test>')).toMatch(/^250/);
      expect(await s.command('DATA')).toMatch(/^354/);
      expect(await s.command(`Subject: ${subject}\r\n\r\nhi\r\n.`)).toMatch(/^250/);
    }
    expect(await s.command('MAIL FROM:<ann@example.test>')).toMatch(/^250/);
    // Refused for the full mailbox alone: another recipient of the same message still gets it.
    expect(await s.command('RCPT TO:<bob@example.test>')).toMatch(/^452 4\.2\.2 .*quota/);
    expect(await s.command('RCPT TO:<carol@example.test>')).toMatch(/^250/);
    expect(await s.command('DATA')).toMatch(/^354/);
    expect(await s.command('Subject: c\r\n\r\nhi\r\n.')).toMatch(/^250/);
    expect(sandbox.store.getMailbox('bob@example.test')!.usage.messages).toBe(2);

    const c = await imap();
    expect(await c.command('a', 'APPEND INBOX {20+}\r\nSubject: x\r\n\r\nhello\r\n')).toMatch(/^a NO \[OVERQUOTA\]/m);
    await c.command('s', 'SELECT INBOX');
    expect(await c.command('cp', 'COPY 1 Trash')).toMatch(/^cp NO \[OVERQUOTA\]/m);
    // A MOVE takes no more room: it is allowed.
    expect(await c.command('mv', 'MOVE 1 Trash')).toMatch(/^mv OK/m);

    const post = await fetch(`${sandbox.url}/api/v1/messages?mailbox=bob@example.test`, { method: 'POST', headers: { 'content-type': 'message/rfc822' }, body: eml('http') });
    expect(post.status).toBe(507);
    expect(await post.json()).toEqual(expect.objectContaining({ error: expect.objectContaining({ code: 'over_quota' }) }));
    const send = await fetch(`${sandbox.url}/api/v1/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: 'ann@example.test', to: ['bob@example.test'], subject: 'hi', text: 'hi' }) });
    expect(send.status).toBe(507);

    // Expunging one makes room again.
    await c.command('d', 'UID STORE 1:* +FLAGS.SILENT (\\Deleted)');
    await c.command('x', 'EXPUNGE');
    expect(sandbox.store.getMailbox('bob@example.test')!.usage.messages).toBe(1);
    expect(await c.command('a2', 'APPEND INBOX {20+}\r\nSubject: x\r\n\r\nhello\r\n')).toMatch(/^a2 OK \[APPENDUID/m);
  });

  it('refuses a message past --quota-size at the end of DATA with 452 4.2.2 and stores nothing', async () => {
    await start({ quotaSize: 2048 });
    const s = await smtp();
    expect(await s.command('MAIL FROM:<ann@example.test>')).toMatch(/^250/);
    expect(await s.command('RCPT TO:<bob@example.test>')).toMatch(/^250/);
    expect(await s.command('DATA')).toMatch(/^354/);
    expect(await s.command(`Subject: big\r\n\r\n${'x'.repeat(3000)}\r\n.`)).toMatch(/^452 4\.2\.2 .*quota/);
    expect(sandbox.store.size).toBe(0);
    expect(await s.command('RSET')).toMatch(/^250/);
  });
});
