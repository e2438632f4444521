import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import type { FaultRuleInput } from '../../src/api/faults.js';
import { eml, imapflowClient, imapSandbox } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

const bob = 'bob@example.test';
const bigBody = 'The quick brown fox jumps over the lazy dog.\r\n'.repeat(400);

describe('IMAP fault injection (wire level)', () => {
  let sandbox: Sandbox;
  let port: number;

  beforeAll(async () => {
    sandbox = await imapSandbox({ imap: { port: 0 } });
    port = sandbox.ports.imap as number;
    await sandbox.deliver(eml('First', bigBody), { to: bob });
    await sandbox.deliver(eml('Second'), { to: bob });
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await sandbox.faults.clear();
  });

  const add = (rule: Omit<FaultRuleInput, 'protocol'>) => sandbox.faults.add({ protocol: 'imap', ...rule });

  async function selected(): Promise<RawImap> {
    const c = await RawImap.connect(port);
    await c.command('a1', `LOGIN ${bob} x`);
    await c.command('a2', 'SELECT INBOX');
    return c;
  }

  it('greets with * BYE and closes when connect has a BYE fault', async () => {
    await add({ on: 'connect', action: 'reply', reply: 'BYE too busy, come back later' });
    const c = await RawImap.connect(port);
    expect(c.all).toBe('* BYE too busy, come back later\r\n');
    await c.closed;
  });

  it('refuses LOGIN of a matching user with NO on auth', async () => {
    await add({ on: 'auth', match: { user: 'bob@' }, action: 'reply', reply: 'NO [UNAVAILABLE] login service down' });
    const c = await RawImap.connect(port);
    expect(await c.command('a1', `LOGIN ${bob} x`)).toContain('a1 NO [UNAVAILABLE] login service down');
    expect(await c.command('a2', 'LOGIN ann@example.test x')).toContain('a2 OK');
    c.end();
  });

  it.each([
    ['SELECT', 'SELECT INBOX'],
    ['EXAMINE', 'EXAMINE INBOX'],
    ['FETCH', 'FETCH 1 FLAGS'],
    ['FETCH', 'UID FETCH 1:* FLAGS'],
    ['STORE', 'STORE 1 +FLAGS (\\Flagged)'],
    ['SEARCH', 'SEARCH ALL'],
    ['STATUS', 'STATUS INBOX (MESSAGES)'],
    ['LIST', 'LIST "" *'],
    ['COPY', 'COPY 1 Trash'],
    ['EXPUNGE', 'EXPUNGE'],
    ['NOOP', 'NOOP'],
    ['IDLE', 'IDLE'],
    ['APPEND', 'APPEND Drafts {5+}\r\nhello'],
  ])('answers %s (%s) with the injected NO and keeps the session', async (on, command) => {
    const c = await selected();
    const rule = await add({ on, action: 'reply', reply: 'NO [UNAVAILABLE] try later', times: 1 });
    expect(await c.command('t1', command)).toMatch(/t1 NO \[UNAVAILABLE\] try later\r\n$/);
    expect(await c.command('t2', 'NOOP')).toMatch(/t2 OK/);
    expect(rule.hits).toBe(1);
    c.end();
  });

  it('answers with BAD when the rule says BAD', async () => {
    await add({ on: 'search', action: 'reply', reply: 'BAD [CLIENTBUG] nope' });
    const c = await selected();
    expect(await c.command('s1', 'SEARCH ALL')).toContain('s1 BAD [CLIENTBUG] nope');
    c.end();
  });

  it('sends * BYE and closes for a BYE reply to FETCH', async () => {
    await add({ on: 'FETCH', action: 'reply', reply: 'BYE server restarting' });
    const c = await selected();
    c.write('f1 FETCH 1 FLAGS\r\n');
    expect(await c.until(/\* BYE server restarting\r\n/)).toBeTruthy();
    await c.closed;
  });

  it('cuts a FETCH BODY[] literal short and drops the connection with disconnect + partial', async () => {
    await add({ on: 'FETCH', action: 'disconnect', partial: true });
    const c = await selected();
    c.write('f1 FETCH 1 BODY.PEEK[]\r\n');
    await c.closed;
    const m = /\* 1 FETCH \(BODY\[\] \{(\d+)\}\r\n/.exec(c.all);
    expect(m).not.toBeNull();
    const after = c.all.slice((m?.index ?? 0) + (m?.[0].length ?? 0));
    expect(after.length).toBeGreaterThan(0);
    expect(after.length).toBeLessThan(Number(m?.[1]));
    expect(c.all).not.toContain('f1 OK');
  });

  it('throttles FETCH output to bytesPerSecond', async () => {
    await add({ on: 'FETCH', action: 'throttle', bytesPerSecond: 40_000 });
    const c = await selected();
    const reads: number[] = [];
    c.socket.on('data', (d: Buffer) => reads.push(d.length));
    const started = performance.now();
    const out = await c.command('f1', 'FETCH 1 BODY.PEEK[]');
    expect(out).toContain('f1 OK');
    expect(performance.now() - started).toBeGreaterThan(300);
    expect(Math.max(...reads)).toBeLessThanOrEqual(4_000);
    c.end();
  });

  it('matches a mailbox name and marks the fault in the transcript', async () => {
    const rule = await add({ on: 'select', match: { mailbox: 'trash' }, action: 'reply', reply: 'NO [NONEXISTENT] gone' });
    const c = await RawImap.connect(port);
    await c.command('a1', `LOGIN ${bob} x`);
    expect(await c.command('a2', 'SELECT INBOX')).toContain('a2 OK');
    expect(await c.command('a3', 'SELECT Trash')).toContain('a3 NO [NONEXISTENT] gone');
    const session = sandbox.context.sessions.list('imap')[0];
    expect(session.lines.map((l) => l.line)).toContain(`[fault ${rule.id}] on SELECT: reply "NO [NONEXISTENT] gone"`);
    c.end();
  });

  it('gives a folder a new, greater UIDVALIDITY and sends * BYE to sessions that have it selected', async () => {
    const c = await selected();
    const before = sandbox.store.getFolder(bob, 'INBOX')?.uidValidity as number;
    const after = await sandbox.faults.renewUidValidity(bob, 'INBOX');
    expect(after).toBeGreaterThan(before);
    await c.until(/\* BYE [^\r\n]*UIDVALIDITY[^\r\n]*\r\n/);
    await c.closed;
    const again = await RawImap.connect(port);
    await again.command('b1', `LOGIN ${bob} x`);
    expect(await again.command('b2', 'SELECT INBOX')).toContain(`[UIDVALIDITY ${after}]`);
    again.end();
  });
});

describe('IMAP faults seen by imapflow', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await imapSandbox({ imap: { port: 0 } });
    await sandbox.deliver(eml('Hello', bigBody), { to: bob });
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await sandbox.faults.clear();
  });

  it('rejects a FETCH that got NO, and the next FETCH succeeds (FETCH fails once)', async () => {
    await sandbox.faults.add({ protocol: 'imap', on: 'FETCH', action: 'reply', reply: 'NO [UNAVAILABLE] FETCH failed', times: 1 });
    const client = await imapflowClient(sandbox);
    await client.mailboxOpen('INBOX');
    await expect(client.fetchOne('1', { source: true })).rejects.toThrow();
    const ok = await client.fetchOne('1', { envelope: true });
    expect(ok && ok.envelope?.subject).toBe('Hello');
    await client.logout();
  });

  it('sees the connection close on BYE', async () => {
    await sandbox.faults.add({ protocol: 'imap', on: 'FETCH', action: 'reply', reply: 'BYE going down' });
    const client = await imapflowClient(sandbox);
    await client.mailboxOpen('INBOX');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await expect(client.fetchOne('1', { source: true })).rejects.toThrow();
    await closed;
    expect(client.usable).toBe(false);
  });

  it('fails a FETCH cut mid-literal and reconnects to fetch it whole', async () => {
    await sandbox.faults.add({ protocol: 'imap', on: 'FETCH', action: 'disconnect', partial: true, times: 1 });
    const client = await imapflowClient(sandbox);
    await client.mailboxOpen('INBOX');
    await expect(client.fetchOne('1', { source: true })).rejects.toThrow();
    const again = await imapflowClient(sandbox);
    await again.mailboxOpen('INBOX');
    const whole = await again.fetchOne('1', { source: true });
    expect(whole && whole.source?.toString()).toContain('Subject: Hello');
    await again.logout();
  });

  it('times out a FETCH throttled below its socketTimeout, and completes one throttled above it', async () => {
    const { ImapFlow } = await import('imapflow');
    const connect = async (socketTimeout: number) => {
      const client = new ImapFlow({ host: '127.0.0.1', port: sandbox.ports.imap as number, secure: false, auth: { user: bob, pass: 'x' }, logger: false, socketTimeout, tls: { rejectUnauthorized: false } });
      client.on('error', () => {});
      await client.connect();
      await client.mailboxOpen('INBOX');
      return client;
    };
    // One byte a second: the socket is silent longer than imapflow's 500 ms socketTimeout, which fires.
    const slowRule = await sandbox.faults.add({ protocol: 'imap', on: 'FETCH', action: 'throttle', bytesPerSecond: 1 });
    const slow = await connect(500);
    const closed = new Promise<void>((resolve) => slow.once('close', () => resolve()));
    await expect(slow.fetchOne('1', { source: true })).rejects.toThrow();
    await closed;
    await slowRule.remove();
    // 20 KB/s: data keeps coming, the 2 s timeout never fires, and the whole body arrives.
    await sandbox.faults.add({ protocol: 'imap', on: 'FETCH', action: 'throttle', bytesPerSecond: 20_000 });
    const steady = await connect(2_000);
    const whole = await steady.fetchOne('1', { source: true });
    expect(whole && whole.source?.length).toBe(sandbox.messages()[0].size);
    await steady.logout();
  });
});
