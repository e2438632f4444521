import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import type { FaultRuleInput } from '../../src/api/faults.js';
import { dataPayload, makeMessage, RawSmtpClient, smtpSandbox } from './smtp-helpers.js';

/** EHLO, MAIL, RCPT over a raw client; returns the replies. */
async function envelope(client: RawSmtpClient, from = 'sender@example.test', to = 'ann@example.test'): Promise<Array<string | null>> {
  await client.hello();
  return [await client.command(`MAIL FROM:<${from}>`), await client.command(`RCPT TO:<${to}>`)];
}

describe('SMTP fault injection at every stage (wire level)', () => {
  let sandbox: Sandbox;
  let port: number;

  beforeAll(async () => {
    sandbox = await smtpSandbox();
    port = sandbox.ports.smtp as number;
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await sandbox.faults.clear();
    sandbox.clear();
  });

  const add = (rule: Omit<FaultRuleInput, 'protocol'>) => sandbox.faults.add({ protocol: 'smtp', ...rule });

  it('answers the greeting with the fault reply at connect and closes the connection', async () => {
    const rule = await add({ on: 'connect', action: 'reply', reply: '421 4.3.2 Server busy, try later' });
    const client = await RawSmtpClient.connect(port);
    expect(await client.reply()).toBe('421 4.3.2 Server busy, try later');
    await client.closed;
    expect(rule.hits).toBe(1);
  });

  it('refuses EHLO with the fault reply and keeps the session open', async () => {
    await add({ on: 'ehlo', action: 'reply', reply: '554 5.7.1 No thanks', times: 1 });
    const client = await RawSmtpClient.connect(port);
    await client.reply();
    expect(await client.command('EHLO a.test')).toBe('554 5.7.1 No thanks');
    expect(await client.command('EHLO a.test')).toMatch(/^250-/);
    await client.command('QUIT');
  });

  it('refuses STARTTLS with the fault reply', async () => {
    await add({ on: 'starttls', action: 'reply', reply: '454 4.7.0 TLS not available due to temporary reason' });
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    expect(await client.command('STARTTLS')).toBe('454 4.7.0 TLS not available due to temporary reason');
    await client.command('QUIT');
  });

  it('refuses AUTH for a matching user and lets another user in', async () => {
    await add({ on: 'auth', match: { user: 'bob@' }, action: 'reply', reply: '454 4.7.0 Temporary authentication failure' });
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    const plain = (u: string) => Buffer.from(`\0${u}\0secret`).toString('base64');
    expect(await client.command(`AUTH PLAIN ${plain('bob@example.test')}`)).toBe('454 4.7.0 Temporary authentication failure');
    expect(await client.command(`AUTH PLAIN ${plain('ann@example.test')}`)).toMatch(/^235 /);
    await client.command('QUIT');
  });

  it('refuses MAIL FROM for a sender matched by a regular expression', async () => {
    await add({ on: 'mail', match: { from: '/^billing@/i' }, action: 'reply', reply: '550 5.7.1 Sender rejected' });
    const client = await RawSmtpClient.connect(port);
    const [mail] = await envelope(client, 'Billing@example.test');
    expect(mail).toBe('550 5.7.1 Sender rejected');
    expect(await client.command('MAIL FROM:<ops@example.test>')).toMatch(/^250 /);
    await client.command('QUIT');
  });

  it('refuses one recipient and accepts the others', async () => {
    await add({ on: 'rcpt', match: { to: 'ann@' }, action: 'reply', reply: '550 5.1.1 No such user' });
    const client = await RawSmtpClient.connect(port);
    const [, rcpt] = await envelope(client);
    expect(rcpt).toBe('550 5.1.1 No such user');
    expect(await client.command('RCPT TO:<bob@example.test>')).toMatch(/^250 /);
    await client.command('QUIT');
  });

  it('refuses DATA with the fault reply and stores nothing', async () => {
    await add({ on: 'data', action: 'reply', reply: '451 4.3.0 Try DATA later' });
    const client = await RawSmtpClient.connect(port);
    await envelope(client);
    expect(await client.command('DATA')).toBe('451 4.3.0 Try DATA later');
    await client.command('QUIT');
    expect(sandbox.store.size).toBe(0);
  });

  it('refuses the message after the final dot, and the message is not stored', async () => {
    const rule = await add({ on: 'message', match: { subject: 'reset' }, action: 'reply', reply: '554 5.6.0 Message refused' });
    const client = await RawSmtpClient.connect(port);
    await envelope(client);
    expect(await client.command('DATA')).toMatch(/^354/);
    client.write(dataPayload(makeMessage('Password reset')));
    expect(await client.reply()).toBe('554 5.6.0 Message refused');
    // The session goes on: the next transaction (no match on its subject) is stored.
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RCPT TO:<b@example.test>');
    await client.command('DATA');
    client.write(dataPayload(makeMessage('Hello again')));
    expect(await client.reply()).toMatch(/^250 /);
    expect(sandbox.messages().map((m) => m.subject)).toEqual(['Hello again']);
    expect(rule.hits).toBe(1);
    await client.command('QUIT');
  });

  it('drops the connection mid-DATA with disconnect + partial, storing nothing', async () => {
    await add({ on: 'data', action: 'disconnect', partial: true });
    const client = await RawSmtpClient.connect(port);
    await envelope(client);
    expect(await client.command('DATA')).toMatch(/^354/);
    client.write(dataPayload(makeMessage('Cut off')));
    expect(await client.reply()).toBeNull();
    await client.closed;
    expect(sandbox.store.size).toBe(0);
  });

  it('drops the connection without a reply on disconnect at RCPT', async () => {
    await add({ on: 'rcpt', action: 'disconnect' });
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    await client.command('MAIL FROM:<a@example.test>');
    expect(await client.command('RCPT TO:<b@example.test>')).toBeNull();
  });

  it('sends half of the reply after the final dot and drops the connection; the message is not stored', async () => {
    await add({ on: 'message', action: 'disconnect', partial: true });
    const client = await RawSmtpClient.connect(port);
    await envelope(client);
    await client.command('DATA');
    client.write(dataPayload(makeMessage('Half a reply')));
    await client.closed;
    const last = client.received.split('\r\n').at(-1) as string;
    // Half of the `250` line, no CRLF: a reply that never arrived whole is no acknowledgement.
    expect(last).toMatch(/^250 2\.\d\.\d Ok: mes/);
    expect(last.length).toBeLessThan('250 2.0.0 Ok: message not stored (reply cut off by fault)'.length);
    expect(sandbox.store.size).toBe(0);
  });

  it('delays the RCPT reply by delayMs, then goes on normally', async () => {
    await add({ on: 'rcpt', action: 'delay', delayMs: 300 });
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    await client.command('MAIL FROM:<a@example.test>');
    const started = performance.now();
    expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^250 /);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await client.command('QUIT');
  });

  it('trickles the EHLO reply at bytesPerSecond', async () => {
    await add({ on: 'ehlo', action: 'throttle', bytesPerSecond: 400 });
    const client = await RawSmtpClient.connect(port);
    await client.reply();
    const reads: number[] = [];
    client.socket.on('data', (c: Buffer) => reads.push(c.length));
    const started = performance.now();
    const ehlo = (await client.command('EHLO a.test')) as string;
    expect(ehlo).toContain('PIPELINING');
    // ~150 bytes at 400 B/s: several small reads over about a third of a second, never one burst.
    expect(reads.length).toBeGreaterThan(2);
    expect(Math.max(...reads)).toBeLessThanOrEqual(40);
    expect(performance.now() - started).toBeGreaterThan(200);
    await client.command('QUIT');
  });

  it('marks a fired fault in the session transcript as [fault <id>]', async () => {
    const rule = await add({ on: 'rcpt', action: 'reply', reply: '451 4.7.1 Greylisted' });
    const client = await RawSmtpClient.connect(port);
    await envelope(client);
    await client.command('QUIT');
    await client.closed;
    const session = sandbox.context.sessions.list('smtp')[0];
    const lines = session.lines.map((l) => l.line);
    expect(lines).toContain(`[fault ${rule.id}] on rcpt: reply "451 4.7.1 Greylisted"`);
    expect(lines).toContain('451 4.7.1 Greylisted');
  });
});

describe('SMTP greylisting with nodemailer', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await smtpSandbox();
  });
  afterAll(() => sandbox.close());

  it('surfaces the 451 as err.responseCode and succeeds when the app retries', async () => {
    const rule = await sandbox.faults.add({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Greylisted, try again later', times: 1, per: 'sender+recipient' });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp as number, secure: false, ignoreTLS: true });
    const mail = { from: 'app@example.test', to: 'ann@example.test', subject: 'Welcome', text: 'Hi' };
    const first = await transport.sendMail(mail).catch((err: { responseCode?: number }) => err);
    expect((first as { responseCode?: number }).responseCode).toBe(451);
    expect(sandbox.store.size).toBe(0);
    const waiting = sandbox.waitForMessage({ subject: 'Welcome' }, { timeout: 5_000 });
    await transport.sendMail(mail);
    expect((await waiting).subject).toBe('Welcome');
    // Another pair is greylisted on its own first attempt.
    const other = await transport.sendMail({ ...mail, to: 'bob@example.test' }).catch((err: { responseCode?: number }) => err);
    expect((other as { responseCode?: number }).responseCode).toBe(451);
    expect(rule.hits).toBe(2);
    expect(rule.spent).toBe(false);
    transport.close();
  });
});

describe('SMTP extension profile (--smtp-extensions)', () => {
  let sandbox: Sandbox;
  let port: number;
  beforeAll(async () => {
    sandbox = await smtpSandbox({ smtpExtensions: '-PIPELINING,-SMTPUTF8,-8BITMIME,+DSN' });
    port = sandbox.ports.smtp as number;
  });
  afterAll(() => sandbox.close());

  it('advertises DSN and hides PIPELINING, SMTPUTF8 and 8BITMIME', async () => {
    const client = await RawSmtpClient.connect(port);
    const ehlo = (await client.hello()) as string;
    const keywords = ehlo.split('\n').slice(1).map((l) => l.slice(4));
    expect(keywords).toContain('DSN');
    expect(keywords).not.toContain('PIPELINING');
    expect(keywords).not.toContain('SMTPUTF8');
    expect(keywords).not.toContain('8BITMIME');
    await client.command('QUIT');
  });

  it('refuses SMTPUTF8 and BODY=8BITMIME when they are turned off', async () => {
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    expect(await client.command('MAIL FROM:<a@example.test> SMTPUTF8')).toMatch(/^555 5\.5\.4 .*SMTPUTF8/);
    expect(await client.command('MAIL FROM:<a@example.test> BODY=8BITMIME')).toMatch(/^555 5\.5\.4 .*8BITMIME/);
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<b@example.test> NOTIFY=SUCCESS,FAILURE')).toMatch(/^250 /);
    await client.command('QUIT');
  });

  it('refuses commands pipelined when PIPELINING is turned off', async () => {
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    client.write('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n');
    expect(await client.reply()).toMatch(/^250 /);
    expect(await client.reply()).toMatch(/^554 5\.5\.0 .*PIPELINING/);
    await client.command('QUIT');
  });

  it('refuses DSN parameters on a sandbox where DSN is off (the default)', async () => {
    const plain = await smtpSandbox();
    const client = await RawSmtpClient.connect(plain.ports.smtp as number);
    await client.hello();
    await client.command('MAIL FROM:<a@example.test>');
    expect(await client.command('RCPT TO:<b@example.test> NOTIFY=SUCCESS')).toMatch(/^555 .*DSN/);
    await client.command('QUIT');
    await plain.close();
  });
});

describe('the smtp-server internals the fault seam overrides (pinned 3.21.6)', () => {
  it('are still there, so the overrides keep applying', async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    expect((require('smtp-server/package.json') as { version: string }).version).toBe('3.21.6');
    const { SMTPConnection } = await import('smtp-server/lib/smtp-connection.js');
    const { SMTPStream } = await import('smtp-server/lib/smtp-stream.js');
    for (const method of ['init', '_setListeners', 'connectionReady', '_onCommand', '_whenWritable', 'send', '_createParser']) {
      expect(typeof (SMTPConnection.prototype as unknown as Record<string, unknown>)[method], method).toBe('function');
    }
    expect(typeof (SMTPStream.prototype as unknown as Record<string, unknown>)._write).toBe('function');
  });
});
