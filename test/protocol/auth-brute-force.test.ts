import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { Limits } from '../../src/config.js';
import { authFailureDelay } from '../../src/shared/auth-throttle.js';
import { RawImap } from './imap-raw-client.js';
import { RawSmtpClient } from './smtp-helpers.js';
import { rawConnect } from './pop3-helpers.js';

let sandbox: Sandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

async function start(limits: Partial<Limits> = { authFailureDelayMs: 1 }): Promise<Sandbox> {
  sandbox = await createSandbox({ logLevel: 'silent', http: { port: false }, users: { 'bob@example.test': 'right' }, limits });
  return sandbox;
}

const plain = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString('base64');

describe('failed authentications (issue 10 finding 10: 300 IMAP LOGIN failures took 0.08 s on one connection)', () => {
  it('close an IMAP connection with * BYE at the third failure', async () => {
    const sb = await start();
    const c = await RawImap.connect(sb.ports.imap!);
    expect(await c.command('a1', 'LOGIN bob@example.test wrong1')).toMatch(/^a1 NO \[AUTHENTICATIONFAILED\]/m);
    expect(await c.command('a2', `AUTHENTICATE PLAIN ${plain('bob@example.test', 'wrong2')}`)).toMatch(/^a2 NO/m);
    c.write('a3 LOGIN bob@example.test right-too-late\r\n');
    await c.closed;
    expect(c.all).toMatch(/^\* BYE Too many failed authentications/m);
    expect(c.all).not.toMatch(/^a3 OK/m);
  });

  it('close a POP3 connection with -ERR at the third failure', async () => {
    const sb = await start();
    const { client } = await rawConnect(sb.ports.pop3!);
    const replies: string[] = [];
    for (const [cmd, pass] of [['USER bob@example.test', 'PASS wrong1'], ['USER bob@example.test', 'PASS wrong2'], ['USER bob@example.test', 'PASS wrong3']]) {
      client.sendLine(cmd);
      await client.readLine();
      client.sendLine(pass);
      replies.push((await client.readLine()) ?? 'closed');
    }
    expect(replies[0]).toMatch(/^-ERR \[AUTH\] Authentication failed/);
    expect(replies[1]).toMatch(/^-ERR \[AUTH\] Authentication failed/);
    expect(replies[2]).toMatch(/^-ERR \[AUTH\] Too many failed authentications/);
    expect(await client.readLine()).toBeNull();
  });

  it('close an SMTP connection with 421 after the third 535', async () => {
    const sb = await start();
    const smtp = await RawSmtpClient.connect(sb.ports.smtp!);
    await smtp.hello();
    expect(await smtp.command(`AUTH PLAIN ${plain('bob@example.test', 'wrong1')}`)).toMatch(/^535/);
    expect(await smtp.command(`AUTH PLAIN ${plain('bob@example.test', 'wrong2')}`)).toMatch(/^535/);
    expect(await smtp.command(`AUTH PLAIN ${plain('bob@example.test', 'wrong3')}`)).toMatch(/^535/);
    expect(await smtp.reply()).toMatch(/^421 4\.7\.0 .*too many failed authentications/);
    await smtp.closed;
  });

  it('delays each failure by 500 ms, doubling, at most 2 s', () => {
    expect([1, 2, 3, 4, 10].map((n) => authFailureDelay(n, 500))).toEqual([500, 1000, 2000, 2000, 2000]);
    expect(authFailureDelay(1, 60_000)).toBe(2000);
  });

  it('holds the default answers for a growing time, each within 2 s (IMAP)', async () => {
    const sb = await start({});
    const c = await RawImap.connect(sb.ports.imap!);
    const gaps: number[] = [];
    for (const tag of ['a1', 'a2']) {
      const sent = performance.now();
      expect(await c.command(tag, 'LOGIN bob@example.test wrong')).toMatch(new RegExp(`^${tag} NO`, 'm'));
      gaps.push(performance.now() - sent);
    }
    const sent = performance.now();
    c.write('a3 LOGIN bob@example.test wrong\r\n');
    await c.closed;
    gaps.push(performance.now() - sent);
    // setTimeout may fire a millisecond early, never much; the upper bound leaves room for a loaded machine.
    expect(gaps[0]).toBeGreaterThanOrEqual(490);
    expect(gaps[1]).toBeGreaterThanOrEqual(990);
    expect(gaps[2]).toBeGreaterThanOrEqual(1990);
    for (const g of gaps) expect(g).toBeLessThan(2000 + 1500);
  }, 20_000);
});
