import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { dataPayload, makeMessage, nextMessage, RawSmtpClient, smtpSandbox } from './smtp-helpers.js';

// SPEC §10 "Precise answers": the bad-command limit counts the commands that got an error reply, and a command line
// with a bare CR, a bare LF or a NUL anywhere in it is refused whole with 501 5.5.2 while the session goes on.

/** Every reply line the server sent on `client` that starts with `code`. */
const repliesWith = (client: RawSmtpClient, code: number) => client.received.match(new RegExp(`^${code}[ -]`, 'gm')) ?? [];

describe('the SMTP bad-command limit (default 10)', () => {
  let sandbox: Sandbox;
  let port: number;
  beforeAll(async () => {
    sandbox = await smtpSandbox();
    port = sandbox.ports.smtp as number;
  });
  afterAll(() => sandbox.close());

  it('answers the 10th unknown command with its 500 and then 421 4.7.0, closes, and never sends an 11th error', async () => {
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    for (let i = 1; i <= 9; i++) expect(await client.command(`FOO${i}`)).toMatch(/^500 5\.5\.2 /);
    expect(await client.command('FOO10')).toMatch(/^500 5\.5\.2 /);
    expect(await client.reply()).toMatch(/^421 4\.7\.0 /);
    client.write('FOO11\r\n');
    await client.closed;
    expect(repliesWith(client, 500)).toHaveLength(10);
    expect(repliesWith(client, 421)).toHaveLength(1);
  });

  it('counts every kind of error reply towards the limit: 500, 501 and 503 alike', async () => {
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    const bad = ['FOO', 'MAIL FROM:bogus', 'RCPT TO:<a@example.test>', 'NOOP\0', 'DATA'];
    for (const line of [...bad, ...bad.slice(0, 4)]) expect(await client.command(line)).toMatch(/^5\d\d /);
    expect(await client.command('DATA')).toMatch(/^503 /);
    expect(await client.reply()).toMatch(/^421 4\.7\.0 /);
    await client.closed;
    expect(client.received.match(/^5\d\d /gm)).toHaveLength(10);
  });

  it('counts a pipelined burst the same way: ten errors, one 421, nothing after it', async () => {
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    client.write(Array.from({ length: 15 }, (_, i) => `BAD${i}\r\n`).join(''));
    await client.closed;
    expect(repliesWith(client, 500)).toHaveLength(10);
    expect(client.received.trimEnd().split('\r\n').at(-1)).toMatch(/^421 4\.7\.0 /);
  });

  it('lets good commands in between go on: nine errors and a message still leave the session open', async () => {
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    for (let i = 0; i < 9; i++) expect(await client.command(`FOO${i}`)).toMatch(/^500 /);
    const added = nextMessage(sandbox);
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^250 /);
    expect(await client.command('DATA')).toMatch(/^354 /);
    client.write(dataPayload(makeMessage('after nine errors')));
    expect(await client.reply()).toMatch(/^250 /);
    expect((await added).envelope.rcptTo).toEqual(['b@example.test']);
    expect(await client.command('QUIT')).toMatch(/^221 /);
  });
});

describe('SMTP command lines with a bare CR, a bare LF or a NUL', () => {
  let sandbox: Sandbox;
  let port: number;
  beforeAll(async () => {
    sandbox = await smtpSandbox();
    port = sandbox.ports.smtp as number;
  });
  afterAll(() => sandbox.close());

  /** A greeted client with MAIL FROM done when `inTransaction`. */
  async function session(inTransaction = false): Promise<RawSmtpClient> {
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    if (inTransaction) expect(await client.command('MAIL FROM:<sender@example.test>')).toMatch(/^250 /);
    return client;
  }

  it.each([
    ['a bare CR after the address in MAIL FROM', 'MAIL FROM:<a@b.test>\rX-Injected: 1', false],
    ['a bare LF after the address in MAIL FROM', 'MAIL FROM:<a@b.test>\nX-Injected: 1', false],
    ['a NUL after the address in MAIL FROM', 'MAIL FROM:<a@b.test>\0X-Injected: 1', false],
    ['a bare CR inside the address in MAIL FROM', 'MAIL FROM:<a\r@b.test>', false],
    ['a bare CR after the address in RCPT TO', 'RCPT TO:<x@y.test>\rBcc: v@evil.test', true],
    ['a bare LF after the address in RCPT TO', 'RCPT TO:<x@y.test>\nBcc: v@evil.test', true],
    ['a NUL inside the address in RCPT TO', 'RCPT TO:<x\0@y.test>', true],
    ['a bare CR in the command name', 'NO\rOP', false],
    ['a bare LF that would start a second command', 'NOOP\nRSET', false],
    ['a NUL at the start of the line', '\0NOOP', false],
    ['a bare CR at the very end of the line', 'NOOP\r', false],
    ['a bare CR in EHLO', 'EHLO host\r.test', false],
  ])('refuses %s with 501 5.5.2 and keeps the session', async (_name, line, inTransaction) => {
    const client = await session(inTransaction);
    expect(await client.command(line)).toMatch(/^501 5\.5\.2 /);
    expect(await client.command('NOOP')).toMatch(/^250 /);
    expect(repliesWith(client, 501)).toHaveLength(1);
    expect(repliesWith(client, 500)).toHaveLength(0);
    expect(await client.command('QUIT')).toMatch(/^221 /);
  });

  it('keeps the refused recipient out of the envelope, and the message still goes through on the same session', async () => {
    const client = await session(true);
    expect(await client.command('RCPT TO:<x@y.test>\rBcc: v@evil.test')).toMatch(/^501 5\.5\.2 /);
    expect(await client.command('RCPT TO:<ok@y.test>')).toMatch(/^250 /);
    expect(await client.command('DATA')).toMatch(/^354 /);
    const added = nextMessage(sandbox);
    client.write(dataPayload(makeMessage('after a refused line')));
    expect(await client.reply()).toMatch(/^250 /);
    expect((await added).envelope).toEqual({ mailFrom: 'sender@example.test', rcptTo: ['ok@y.test'] });
    expect(sandbox.store.getMailbox('v@evil.test')).toBeUndefined();
    expect(sandbox.store.getMailbox('x@y.test')).toBeUndefined();
    await client.command('QUIT');
  });

  it('answers a client that ends its lines with LF alone once, and runs nothing until its next CRLF', async () => {
    const client = await session();
    client.write('MAIL FROM:<a@b.test>\nRCPT TO:<x@y.test>\nDATA\n');
    expect(await client.reply()).toMatch(/^501 5\.5\.2 .*bare LF/);
    // The CRLF ends the refused line (its tail, "RCPT…DATA", was dropped); the next line is a command again.
    client.write('still the refused line\r\n');
    expect(await client.command('RSET')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<x@y.test>')).toMatch(/^503 /);
    expect(repliesWith(client, 501)).toHaveLength(1);
    await client.command('QUIT');
  });

  it('refuses a bare LF inside an AUTH exchange with 501 5.5.2 and ends that exchange', async () => {
    const client = await session();
    expect(await client.command('AUTH LOGIN')).toMatch(/^334 /);
    expect(await client.command('dXNlcg==\nZm9v')).toMatch(/^501 5\.5\.2 /);
    expect(await client.command('NOOP')).toMatch(/^250 /);
    await client.command('QUIT');
  });

  it('records the refused line in the session transcript as one line, its control characters escaped', async () => {
    const client = await session();
    expect(await client.command('NOOP x\ry')).toMatch(/^501 /);
    await client.command('QUIT');
    await client.closed;
    const lines = sandbox.context.sessions.list('smtp').flatMap((s) => sandbox.context.sessions.get(s.id)?.lines ?? []);
    expect(lines.map((l) => l.line)).toContain('NOOP x\\ry');
  });

  it('still serves nodemailer after the refused lines, so a real client sees nothing of them', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, tls: { rejectUnauthorized: false } });
    const added = nextMessage(sandbox);
    const info = await transport.sendMail({ from: 'a@example.test', to: 'nm@example.test', subject: 'after', text: 'ok' });
    expect(info.accepted).toEqual(['nm@example.test']);
    expect((await added).envelope.rcptTo).toEqual(['nm@example.test']);
    transport.close();
  });
});
