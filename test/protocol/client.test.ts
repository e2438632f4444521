import { createServer } from 'node:net';
import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, MailSandboxHttpError, type MailSandboxClient, type Sandbox } from '../../src/index.js';
import { compose, httpSandbox, simpleEml } from './http-helpers.js';

let sandbox: Sandbox;
let client: MailSandboxClient;
beforeEach(async () => {
  sandbox = await httpSandbox();
  client = createClient(sandbox.url!);
});
afterEach(async () => {
  vi.useRealTimers();
  await sandbox.close();
});

/** Resolves once the sandbox has `n` blocked waits: the client's long-poll is parked on the server. */
function serverWaiters(n: number): Promise<void> {
  const waiters = sandbox.context.waiters;
  return new Promise((resolve) => {
    if (waiters.active === n) return resolve();
    const off = waiters.on('waiters.changed', (active) => {
      if (active !== n) return;
      off();
      resolve();
    });
  });
}

describe('createClient', () => {
  it('delivers, lists, gets (with raw bytes) and deletes over HTTP', async () => {
    const raw = await compose({ to: 'ann@example.test', subject: 'Over HTTP', text: 'Your code is 9182' });
    const summary = await client.deliver(raw, { to: 'ann@example.test', folder: 'INBOX', flags: ['\\Flagged'], from: 'env@example.test' });
    expect(summary).toMatchObject({ subject: 'Over HTTP', mailboxes: ['ann@example.test'], source: 'api' });
    expect((await client.messages()).map((m) => m.id)).toEqual([summary.id]);
    expect(await client.messages('subject:nothing')).toEqual([]);
    const full = await client.getMessage(summary.id);
    expect(full?.raw.equals(raw)).toBe(true);
    expect(full?.codes).toEqual(['9182']);
    expect(full?.flags).toEqual(['\\Flagged']);
    expect(full?.envelope.mailFrom).toBe('env@example.test');
    expect(await client.getMessage('missing')).toBeUndefined();
    expect(await client.deleteMessage(summary.id)).toBe(true);
    expect(await client.deleteMessage(summary.id)).toBe(false);
  });

  it('clears, reports info and lists sessions', async () => {
    await client.deliver(simpleEml(), { to: 'a@example.test' });
    await client.deliver(simpleEml(), { to: 'b@example.test' });
    expect(await client.clear()).toBe(2);
    expect((await client.info()).counts.messages).toBe(0);
    sandbox.context.sessions.start('imap', { tls: false });
    const sessions = await client.sessions('imap');
    expect(sessions).toHaveLength(1);
    expect(await client.sessions('smtp')).toEqual([]);
  });

  it('waits server-side for string filters', async () => {
    const waiting = client.waitForMessage({ to: 'ann@example.test', subject: 'reset' }, { timeout: 5000 });
    await serverWaiters(1);
    await client.deliver(simpleEml({ to: 'ann@example.test', subject: 'Reset now' }), { to: 'ann@example.test' });
    const msg = await waiting;
    expect(msg.subject).toBe('Reset now');
    expect(Buffer.isBuffer(msg.raw)).toBe(true);
  });

  it('checks RegExp and body filters itself, re-waiting after server-side matches that fail them', async () => {
    const waiting = client.waitForMessage({ to: 'ann@example.test', subject: /^Reset/, text: 'secret link' }, { timeout: 5000 });
    await serverWaiters(1);
    // Passes on the server (to, body words) but not the RegExp: the client must wait again after it.
    await client.deliver(simpleEml({ to: 'ann@example.test', subject: 'Not a Reset', body: 'the secret link' }), { to: 'ann@example.test' });
    await serverWaiters(0);
    await serverWaiters(1);
    await client.deliver(simpleEml({ to: 'ann@example.test', subject: 'Reset yours', body: 'the secret link' }), { to: 'ann@example.test' });
    const msg = await waiting;
    expect(msg.text).toContain('the secret link');
  });

  it('resumes after the arrival time when the message it resumed after was deleted', async () => {
    const waiting = client.waitForMessage({ subject: /^Final/ }, { timeout: 5000 });
    await serverWaiters(1);
    const decoy = await sandbox.deliver(simpleEml({ subject: 'Not Final' }), { to: 'a@example.test' });
    await serverWaiters(0);
    // Delete it before the client resumes with since=<its id>: the server no longer knows that id.
    sandbox.store.deleteMessage(decoy.id);
    await serverWaiters(1);
    await sandbox.deliver(simpleEml({ subject: 'Final answer' }), { to: 'a@example.test' });
    expect((await waiting).subject).toBe('Final answer');
  });

  it('counts stored mail with since start, and filters messages() client-side for a RegExp', async () => {
    await client.deliver(simpleEml({ subject: 'Alpha 1' }), { to: 'a@example.test' });
    await client.deliver(simpleEml({ subject: 'beta 2' }), { to: 'a@example.test' });
    expect((await client.waitForMessage({ subject: /alpha/i }, { since: 'start', timeout: 1000 })).subject).toBe('Alpha 1');
    expect((await client.messages({ subject: /^beta/ })).map((m) => m.subject)).toEqual(['beta 2']);
  });

  it('rejects on timeout with an error listing what arrived', async () => {
    const waiting = client.waitForMessage({ to: 'ann@example.test' }, { timeout: 300 });
    await serverWaiters(1);
    await sandbox.deliver(simpleEml({ to: 'zed@example.test', subject: 'Not for Ann' }), { to: 'zed@example.test' });
    const err = (await waiting.catch((e: unknown) => e)) as MailSandboxHttpError;
    expect(err).toBeInstanceOf(MailSandboxHttpError);
    expect(err.status).toBe(408);
    expect(err.message).toContain('{ to: "ann@example.test" }');
    expect(err.message).toContain('"Not for Ann" from alice@example.test to zed@example.test');
  });

  it('sends Basic credentials, from the options or the URL', async () => {
    await sandbox.close();
    sandbox = await httpSandbox({ uiAuth: 'u:p@ss' });
    await expect(createClient(sandbox.url!).info()).rejects.toMatchObject({ status: 401 });
    expect((await createClient(sandbox.url!, { auth: 'u:p@ss' }).info()).name).toBe('mailsandbox');
    expect((await createClient(sandbox.url!, { auth: { user: 'u', pass: 'p@ss' } }).messages())).toEqual([]);
    const withUrl = sandbox.url!.replace('http://', 'http://u:p%40ss@');
    expect((await createClient(withUrl).info()).name).toBe('mailsandbox');
  });

  it('receives mail an app sends over SMTP with nodemailer', async () => {
    await sandbox.close();
    sandbox = await httpSandbox({ smtp: { port: 0 } });
    client = createClient(sandbox.url!);
    const waiting = client.waitForMessage({ to: 'ann@example.test', subject: /welcome/i }, { timeout: 10_000 });
    await serverWaiters(1);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, tls: { rejectUnauthorized: false } });
    await transport.sendMail({ from: 'app@example.test', to: 'ann@example.test', subject: 'Welcome, Ann', text: 'Confirm at https://app.test/confirm/abc' });
    transport.close();
    const msg = await waiting;
    expect(msg.links).toEqual(['https://app.test/confirm/abc']);
    expect(msg.source).toBe('smtp');
    const transcript = await (await fetch(`${sandbox.url}/api/v1/messages/${msg.id}/transcript`)).json() as any;
    expect(transcript.lines.some((l: { line: string }) => /^MAIL FROM:/i.test(l.line))).toBe(true);
  });
});

/** A loopback port nothing listens on: bound, noted, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('createClient waitForMessage since a Date, when the mail is stored in the same millisecond', () => {
  it('counts it over HTTP', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const since = new Date();
    await sandbox.deliver(simpleEml({ subject: 'Same millisecond' }), { to: 'ann@example.test' });
    const msg = await client.waitForMessage({ subject: 'Same millisecond' }, { since, timeout: 2_000 });
    expect(msg.subject).toBe('Same millisecond');
  });
});

describe('createClient: waits and errors as a test suite meets them', () => {
  it('says when matching mail was stored before the wait began, for query and RegExp filters', async () => {
    // The clock moves on a second between storing and waiting, so "before" is unambiguous (not the same ms).
    vi.useFakeTimers({ toFake: ['Date'] });
    await sandbox.deliver(simpleEml({ to: 'ann@example.test', subject: 'Reset your password' }), { to: 'ann@example.test' });
    await sandbox.deliver(simpleEml({ to: 'ann@example.test', subject: 'Welcome' }), { to: 'ann@example.test' });
    vi.setSystemTime(Date.now() + 1_000);
    const hint = "1 matching message was already stored before the wait began; pass { since: 'start' } to count it.";
    const byString = await client.waitForMessage({ subject: 'reset' }, { timeout: 50 }).catch((e: Error) => e);
    expect((byString as Error).message).toContain(hint);
    const byRegExp = await client.waitForMessage({ subject: /^Reset/ }, { timeout: 50 }).catch((e: Error) => e);
    expect((byRegExp as Error).message).toContain(hint);
    const missing = await client.waitForMessage({ subject: /nothing like it/ }, { timeout: 50 }).catch((e: Error) => e);
    expect((missing as Error).message).not.toContain('already stored');
  });

  it('lists RegExp-subject matches from the summaries, fetching only the messages that can match', async () => {
    for (let i = 0; i < 30; i++) await sandbox.deliver(simpleEml({ subject: i === 7 ? 'Reset your password' : `Newsletter ${i}` }), { to: 'ann@example.test' });
    const requests = vi.spyOn(globalThis, 'fetch');
    const found = await client.messages({ subject: /^reset/i });
    expect(found.map((m) => m.subject)).toEqual(['Reset your password']);
    expect(requests.mock.calls.length).toBeLessThanOrEqual(2);
    requests.mockRestore();
  });

  it('pages body-RegExp matches exactly as the in-process sandbox does', async () => {
    for (let i = 0; i < 25; i++) await sandbox.deliver(simpleEml({ subject: `Mail ${i}`, body: i % 3 ? `Order ${i} shipped` : 'Hello' }), { to: 'ann@example.test' });
    const page = { limit: 5, offset: 3 };
    const expected = sandbox.messages({ text: /order \d+ shipped/i }, page).map((m) => m.subject);
    expect(expected).toHaveLength(5);
    expect((await client.messages({ text: /order \d+ shipped/i }, page)).map((m) => m.subject)).toEqual(expected);
  });

  it('names the sandbox URL and the reason when nothing answers there', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = (await createClient(url).messages().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`Cannot reach mailsandbox at ${url} (GET /api/v1/messages)`);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('explains at once what URL it wants when given none or one without http://', () => {
    const unset = process.env.MAILSANDBOX_TEST_UNSET_URL;
    expect(() => createClient(unset!)).toThrow(/createClient needs the sandbox's base URL, like http:\/\/127\.0\.0\.1:8025; got undefined/);
    expect(() => createClient('localhost:8025')).toThrow(/got "localhost:8025"/);
    expect(() => createClient('127.0.0.1:8025')).toThrow(/got "127\.0\.0\.1:8025"/);
    expect(createClient('https://mail.example.test/sandbox/').baseUrl).toBe('https://mail.example.test/sandbox');
  });

  it('refuses a timeout or count the in-process wait refuses, before sending anything', async () => {
    const listing = vi.spyOn(globalThis, 'fetch');
    await expect(client.waitForMessage({}, { timeout: 0 })).rejects.toThrow(RangeError);
    await expect(client.waitForMessage({}, { timeout: Number.NaN })).rejects.toThrow(RangeError);
    await expect(client.waitForMessages({}, { count: 0 })).rejects.toThrow(/count must be a whole number/);
    await expect(sandbox.waitForMessages({}, { count: 0 })).rejects.toThrow(/count must be a whole number/);
    expect(listing).not.toHaveBeenCalled();
    listing.mockRestore();
  });
});
