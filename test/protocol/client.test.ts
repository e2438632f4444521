import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, MailSandboxHttpError, type MailSandboxClient, type Sandbox } from '../../src/index.js';
import { compose, httpSandbox, simpleEml } from './http-helpers.js';

let sandbox: Sandbox;
let client: MailSandboxClient;
beforeEach(async () => {
  sandbox = await httpSandbox();
  client = createClient(sandbox.url!);
});
afterEach(async () => {
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
