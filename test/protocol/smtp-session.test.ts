import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { dataPayload, makeMessage, nextMessage, RawSmtpClient, smtpSandbox } from './smtp-helpers.js';

describe('SMTP session: greeting, EHLO and STARTTLS', () => {
  let sandbox: Sandbox;
  let port: number;
  /** The submission port: STARTTLS is always offered there (the plain port offers it only with `starttls`). */
  let submission: number;

  beforeAll(async () => {
    sandbox = await smtpSandbox({ maxMessageSize: 1_000_000 });
    port = sandbox.ports.smtp as number;
    submission = sandbox.ports.submission as number;
  });
  afterAll(() => sandbox.close());
  afterEach(() => void vi.useRealTimers());

  it('advertises PIPELINING, 8BITMIME, SMTPUTF8, SIZE, ENHANCEDSTATUSCODES, STARTTLS and AUTH PLAIN LOGIN CRAM-MD5 on the submission port', async () => {
    const client = await RawSmtpClient.connect(submission);
    const ehlo = (await client.hello()) as string;
    const keywords = ehlo.split('\n').slice(1).map((l) => l.slice(4));
    expect(keywords).toEqual(
      expect.arrayContaining(['PIPELINING', '8BITMIME', 'SMTPUTF8', 'SIZE 1000000', 'ENHANCEDSTATUSCODES', 'STARTTLS', 'AUTH PLAIN LOGIN CRAM-MD5']),
    );
    await client.command('QUIT');
  });

  it('does not advertise STARTTLS on the implicit-TLS port', async () => {
    const client = await RawSmtpClient.connect(sandbox.ports.smtps as number, { tls: true });
    const ehlo = (await client.hello()) as string;
    expect(ehlo).not.toContain('STARTTLS');
    expect(ehlo).toContain('AUTH PLAIN LOGIN CRAM-MD5');
    await client.command('QUIT');
  });

  it('greets a client that talks before the greeting without any timer firing (no early-talker delay)', async () => {
    // Stock smtp-server arms a 100 ms setTimeout before the greeting and answers anything sent earlier with
    // "421 You talk too soon". With setTimeout faked and never advanced, the stock path would never greet at all.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const client = await RawSmtpClient.connect(port);
    client.write('EHLO early.test\r\n');
    expect(await client.reply()).toMatch(/^220 /);
    expect(await client.reply()).toMatch(/^250-/);
    vi.useRealTimers();
    expect(await client.command('QUIT')).toMatch(/^221 /);
  });

  it('discards commands pipelined after STARTTLS before the handshake', async () => {
    const client = await RawSmtpClient.connect(submission);
    await client.hello();
    client.write('STARTTLS\r\nMAIL FROM:<evil@example.test>\r\nRCPT TO:<victim@example.test>\r\n');
    expect(await client.reply()).toMatch(/^220 /);
    await client.startTls();
    expect(await client.command('EHLO client.test')).toMatch(/^250-/);
    // Had the MAIL been run inside the TLS session, this RCPT would be accepted.
    expect(await client.command('RCPT TO:<victim@example.test>')).toMatch(/^503 /);
    expect(await client.command('QUIT')).toMatch(/^221 /);
  });

  it('requires EHLO again after STARTTLS (RFC 3207 §4.2)', async () => {
    const client = await RawSmtpClient.connect(submission);
    await client.hello();
    expect(await client.command('STARTTLS')).toMatch(/^220 /);
    await client.startTls();
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^503 /);
    const ehlo = (await client.command('EHLO client.test')) as string;
    expect(ehlo).not.toContain('STARTTLS');
    expect(await client.command('STARTTLS')).toMatch(/^503 /);
    const added = nextMessage(sandbox);
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<ann@example.test>')).toMatch(/^250/);
    expect(await client.command('DATA')).toMatch(/^354/);
    client.write(dataPayload(makeMessage('over starttls')));
    expect(await client.reply()).toMatch(/^250 /);
    const message = await added;
    expect(message.connection.tls).toBe(true);
    expect(sandbox.context.sessions.get(message.connection.sessionId as string)?.tls).toBe(true);
    await client.command('QUIT');
  });

  it('answers unknown commands with 500 and RSET, NOOP, VRFY, HELP as usual', async () => {
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    expect(await client.command('FROB')).toMatch(/^500 5\.5\.2 /);
    expect(await client.command('RSET')).toMatch(/^250 /);
    expect(await client.command('NOOP')).toMatch(/^250 /);
    expect(await client.command('VRFY ann')).toMatch(/^252 /);
    expect(await client.command('HELP')).toMatch(/^214 /);
    expect(await client.command('QUIT')).toMatch(/^221 /);
  });

  it('accepts pipelined transactions on one connection and stores each message once', async () => {
    const client = await RawSmtpClient.connect(port);
    await client.hello();
    const raws = [1, 2, 3].map((n) => makeMessage(`pipelined ${n}`));
    const got: Buffer[] = [];
    const off = sandbox.store.on('message.added', (m) => void got.push(m.raw));
    const batch = raws.map((raw) => Buffer.concat([Buffer.from('MAIL FROM:<s@example.test>\r\nRCPT TO:<ann@example.test>\r\nDATA\r\n'), dataPayload(raw)]));
    client.write(Buffer.concat(batch));
    for (let i = 0; i < 3; i++) {
      expect(await client.reply()).toMatch(/^250/);
      expect(await client.reply()).toMatch(/^250/);
      expect(await client.reply()).toMatch(/^354/);
      expect(await client.reply()).toMatch(/^250 2\.6\.0 /);
    }
    off();
    expect(got.map((b) => b.toString())).toEqual(raws.map((b) => b.toString()));
    await client.command('QUIT');
  });
});

describe('SMTP replies to pipelined commands', () => {
  it('answers MAIL, RCPT and DATA sent in one packet with one write of the three replies', async () => {
    const sandbox = await smtpSandbox();
    try {
      const client = await RawSmtpClient.connect(sandbox.ports.smtp as number);
      await client.hello();
      const chunks: string[] = [];
      client.socket.on('data', (chunk: Buffer) => chunks.push(chunk.toString('latin1')));
      client.write(Buffer.from('MAIL FROM:<s@example.test>\r\nRCPT TO:<ann@example.test>\r\nDATA\r\n'));
      expect(await client.reply()).toMatch(/^250 /);
      expect(await client.reply()).toMatch(/^250 /);
      expect(await client.reply()).toMatch(/^354 /);
      expect(chunks).toHaveLength(1);
      expect(chunks[0]).toMatch(/^250 [^\r\n]*\r\n250 [^\r\n]*\r\n354 [^\r\n]*\r\n$/);
      // One command at a time: each reply on its own, and the held replies never delay a reply that ends the session.
      client.write(dataPayload(makeMessage('one at a time')));
      expect(await client.reply()).toMatch(/^250 2\.6\.0 /);
      expect(await client.command('QUIT')).toMatch(/^221 /);
      await client.closed;
    } finally {
      await sandbox.close();
    }
  });
});

describe('SMTP with --smtp-auth off', () => {
  it('does not advertise AUTH and answers AUTH as an unknown command', async () => {
    const sandbox = await smtpSandbox({ smtpAuth: 'off' });
    try {
      const client = await RawSmtpClient.connect(sandbox.ports.smtp as number);
      expect(await client.hello()).not.toContain('AUTH');
      expect(await client.command('AUTH PLAIN AGFubgB4')).toMatch(/^5\d\d /);
      await client.command('QUIT');
    } finally {
      await sandbox.close();
    }
  });
});

describe('SMTP server shutdown', () => {
  it('hangs up idle sessions with 421 when the sandbox closes, and close() resolves', async () => {
    const sandbox = await smtpSandbox();
    const client = await RawSmtpClient.connect(sandbox.ports.smtp as number);
    await client.hello();
    const reply = client.reply();
    await sandbox.close();
    expect(await reply).toMatch(/^421 /);
    await client.closed;
  });
});
