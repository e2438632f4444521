import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { decodeTranscript } from '../../src/store/transcript.js';
import type { SessionRecord } from '../../src/store/session-log.js';
import { dataPayload, makeMessage, nextMessage, RawSmtpClient, smtpSandbox } from './smtp-helpers.js';

const password = 'Sup3r-S3cret-Pw';

/** Resolves when the session with this id ends. */
function sessionEnded(sandbox: Sandbox, predicate: (s: SessionRecord) => boolean): Promise<SessionRecord> {
  return new Promise((resolve) => {
    const off = sandbox.context.sessions.on('session.ended', (s) => {
      if (s.protocol === 'smtp' && predicate(s)) {
        off();
        resolve(s);
      }
    });
  });
}

function expectNoSecret(lines: string[]): void {
  const text = lines.join('\n');
  expect(text).not.toContain(password);
  for (const encoded of [
    Buffer.from(`\0ann@example.test\0${password}`).toString('base64'),
    Buffer.from(password).toString('base64'),
  ]) {
    expect(text).not.toContain(encoded);
  }
}

describe('SMTP transcripts', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await smtpSandbox({ users: { 'ann@example.test': password } });
  });
  afterAll(() => sandbox.close());

  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5'])('records the session with AUTH %s redacted and the message body omitted', async (method) => {
    const added = nextMessage(sandbox);
    const raw = makeMessage(`transcript ${method}`, 'the body must not appear in the transcript\r\n');
    await nodemailer
      // The submission port, where STARTTLS is offered: the transcript shows the upgrade.
      .createTransport({ host: '127.0.0.1', port: sandbox.ports.submission as number, auth: { user: 'ann@example.test', pass: password }, authMethod: method, tls: { rejectUnauthorized: false } })
      .sendMail({ envelope: { from: 'sender@example.test', to: ['ann@example.test'] }, raw });
    const message = await added;
    const session = sandbox.context.sessions.get(message.connection.sessionId as string) as SessionRecord;
    expect(session.protocol).toBe('smtp');
    expect(session.user).toBe('ann@example.test');
    expect(session.tls).toBe(true);
    const lines = session.lines.map((l) => `${l.dir} ${l.line}`);
    expectNoSecret(lines);
    expect(lines.join('\n')).not.toContain('the body must not appear');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^S 220 /),
        expect.stringMatching(/^C EHLO /),
        'C STARTTLS',
        expect.stringMatching(/^\* TLS established/),
        expect.stringMatching(/^C AUTH /),
        expect.stringMatching(/^S 235 /),
        'C MAIL FROM:<sender@example.test>',
        'C RCPT TO:<ann@example.test>',
        'C DATA',
        `C <${raw.length} bytes of message data>`,
        `S 250 2.6.0 Ok: queued as ${message.id}`,
      ]),
    );
    // The per-message transcript holds the transaction, ending with the 250 that names the message.
    const stored = decodeTranscript(message.transcript).map((l) => `${l.dir} ${l.line}`);
    expectNoSecret(stored);
    expect(stored.slice(-8)).toEqual([
      'C MAIL FROM:<sender@example.test>',
      'S 250 2.1.0 Accepted',
      'C RCPT TO:<ann@example.test>',
      'S 250 2.1.5 Accepted',
      'C DATA',
      'S 354 End data with <CR><LF>.<CR><LF>',
      `C <${raw.length} bytes of message data>`,
      `S 250 2.6.0 Ok: queued as ${message.id}`,
    ]);
  });

  it('records the reply lines exactly as the client received them', async () => {
    const client = await RawSmtpClient.connect(sandbox.ports.smtp as number);
    await client.hello();
    await client.command('NOOP');
    await client.command('FROB');
    await client.command('MAIL FROM:<a@example.test>');
    await client.command('RCPT TO:<ann@example.test>');
    await client.command('DATA');
    client.write(dataPayload(makeMessage('exact')));
    await client.reply();
    const sessionId = sandbox.context.sessions.list('smtp')[0].id;
    const ended = sessionEnded(sandbox, (s) => s.id === sessionId);
    await client.command('QUIT');
    const session = await ended;
    const serverLines = session.lines.filter((l) => l.dir === 'S').map((l) => l.line);
    expect(serverLines).toEqual(client.received.split('\r\n').filter(Boolean));
  });

  it('records a failed session: a wrong AUTH and a hang-up, with the attempt redacted', async () => {
    const client = await RawSmtpClient.connect(sandbox.ports.smtp as number);
    await client.hello();
    const sessionId = sandbox.context.sessions.list('smtp')[0].id;
    const ended = sessionEnded(sandbox, (s) => s.id === sessionId);
    const token = Buffer.from(`\0ann@example.test\0${password}x`).toString('base64');
    expect(await client.command(`AUTH PLAIN ${token}`)).toMatch(/^535 /);
    expect(await client.command('AUTH LOGIN')).toMatch(/^334 /);
    expect(await client.command(Buffer.from('ann@example.test').toString('base64'))).toMatch(/^334 /);
    expect(await client.command(Buffer.from(password + 'y').toString('base64'))).toMatch(/^535 /);
    client.destroy();
    const session = await ended;
    const lines = session.lines.map((l) => `${l.dir} ${l.line}`);
    expect(lines.join('\n')).not.toContain(token);
    expect(lines.join('\n')).not.toContain(Buffer.from(password + 'y').toString('base64'));
    expect(lines).toContain('C AUTH PLAIN <redacted>');
    expect(lines.filter((l) => l === 'C <redacted>')).toHaveLength(2);
    expect(lines.at(-1)).toBe('* connection closed');
    expect(session.user).toBeNull();
    expect(session.endedAt).not.toBeNull();
  });

  it('records a failed implicit-TLS handshake as a session', async () => {
    const started = new Promise<SessionRecord>((resolve) => {
      const off = sandbox.context.sessions.on('session.ended', (s) => {
        if (s.lines.some((l) => l.line.startsWith('TLS handshake failed'))) {
          off();
          resolve(s);
        }
      });
    });
    const client = await RawSmtpClient.connect(sandbox.ports.smtps as number);
    client.write('EHLO plain-text-on-the-tls-port\r\n');
    const session = await started;
    expect(session.remoteAddress).toBe('127.0.0.1');
    client.destroy();
  });
});
