import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { makeMessage, nextMessage, smtpSandbox } from './smtp-helpers.js';

type TransportOptions = Parameters<typeof nodemailer.createTransport>[0] & Record<string, unknown>;

function transport(port: number, options: Record<string, unknown> = {}) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, tls: { rejectUnauthorized: false }, ...options } as TransportOptions);
}

/** Sends raw bytes (nodemailer dot-stuffs them) and returns the stored message. */
async function sendRaw(sandbox: Sandbox, options: Record<string, unknown>, raw: Buffer, envelope = { from: 'sender@example.test', to: ['ann@example.test'] }) {
  const added = nextMessage(sandbox);
  // The plain port offers no STARTTLS by default (SPEC §3); a client that requires TLS uses the submission port.
  const port = options.secure ? sandbox.ports.smtps : options.requireTLS ? sandbox.ports.submission : sandbox.ports.smtp;
  const info = await transport(port as number, options).sendMail({ envelope, raw });
  const message = await added;
  expect(info.response).toBe(`250 2.6.0 Ok: queued as ${message.id}`);
  return message;
}

describe('SMTP with nodemailer (any password accepted)', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await smtpSandbox();
  });
  afterAll(() => sandbox.close());

  it('delivers over plain SMTP byte for byte, with the envelope and connection recorded', async () => {
    const raw = makeMessage('plain', 'line one\r\nline two\r\n');
    const message = await sendRaw(sandbox, { ignoreTLS: true }, raw);
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.source).toBe('smtp');
    expect(message.envelope).toEqual({ mailFrom: 'sender@example.test', rcptTo: ['ann@example.test'] });
    expect(message.connection).toMatchObject({ remoteAddress: '127.0.0.1', tls: false });
    expect(message.connection.heloName).toBeTruthy();
    expect(sandbox.store.getMailbox('ann@example.test')?.folders.get('INBOX')?.placements.map((p) => p.message.id)).toContain(message.id);
  });

  it('delivers over STARTTLS when the client requires TLS', async () => {
    const message = await sendRaw(sandbox, { requireTLS: true }, makeMessage('starttls'));
    expect(message.connection.tls).toBe(true);
  });

  it('delivers over implicit TLS (SMTPS)', async () => {
    const raw = makeMessage('smtps');
    const message = await sendRaw(sandbox, { secure: true }, raw);
    expect(message.connection.tls).toBe(true);
    expect(message.raw.equals(raw)).toBe(true);
  });

  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5'])('accepts AUTH %s with any password when no users are configured', async (method) => {
    const message = await sendRaw(sandbox, { requireTLS: true, auth: { user: 'anyone@example.test', pass: 'whatever' }, authMethod: method }, makeMessage(`auth ${method}`));
    expect(message.connection.authUser).toBe('anyone@example.test');
  });

  it('puts a message in the INBOX of every recipient, Bcc included, without a Bcc header', async () => {
    const added = nextMessage(sandbox);
    await transport(sandbox.ports.smtp as number).sendMail({
      from: 'sender@example.test',
      to: ['to1@example.test', 'to2@example.test'],
      cc: 'cc@example.test',
      bcc: ['hidden1@example.test', 'hidden2@example.test'],
      subject: 'many recipients',
      text: 'hi',
    });
    const message = await added;
    const all = ['to1@example.test', 'to2@example.test', 'cc@example.test', 'hidden1@example.test', 'hidden2@example.test'];
    expect([...message.envelope.rcptTo].sort()).toEqual([...all].sort());
    expect(sandbox.store.mailboxesOf(message).sort()).toEqual([...all].sort());
    expect(message.raw.toString()).not.toMatch(/^bcc:/im);
    expect(message.raw.toString()).not.toContain('hidden1');
    for (const address of all) expect(sandbox.store.getMailbox(address)?.folders.get('INBOX')?.placements.some((p) => p.message === message)).toBe(true);
  });

  it('keeps body lines that start with a dot intact (dot-stuffing round trip)', async () => {
    const raw = makeMessage('dots', '.\r\n..\r\n...three\r\n.hidden\r\nend.\r\n.\r\n');
    const message = await sendRaw(sandbox, {}, raw);
    expect(message.raw.equals(raw)).toBe(true);
  });

  it('stores 8-bit UTF-8 text unchanged', async () => {
    const raw = makeMessage('8bit', 'Grüße aus Köln — 日本語テキスト 🎉\r\n', 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n');
    const message = await sendRaw(sandbox, {}, raw);
    expect(message.raw.equals(raw)).toBe(true);
  });

  it('accepts an SMTPUTF8 address', async () => {
    const raw = makeMessage('utf8 address');
    const message = await sendRaw(sandbox, {}, raw, { from: 'sénder@exämple.test', to: ['üser@exämple.test'] });
    expect(message.envelope).toEqual({ mailFrom: 'sénder@exämple.test', rcptTo: ['üser@exämple.test'] });
    expect(sandbox.store.getMailbox('üser@exämple.test')).toBeDefined();
  });

  it('accepts a message with a 10 MB attachment byte for byte', async () => {
    const attachment = randomBytes(10 * 1024 * 1024);
    const raw = await new MailComposer({
      from: 'sender@example.test',
      to: 'ann@example.test',
      subject: 'big attachment',
      text: 'see attached',
      attachments: [{ filename: 'big.bin', content: attachment }],
    })
      .compile()
      .build();
    const message = await sendRaw(sandbox, {}, raw);
    expect(message.size).toBe(raw.length);
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.summary.hasAttachments).toBe(true);
  });
});

describe('SMTP with nodemailer and configured users', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await smtpSandbox({ users: { 'ann@example.test': 's3cret-pass' } });
  });
  afterAll(() => sandbox.close());

  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5'])('accepts AUTH %s with the right password', async (method) => {
    const message = await sendRaw(sandbox, { auth: { user: 'ann@example.test', pass: 's3cret-pass' }, authMethod: method }, makeMessage(`users ${method}`));
    expect(message.connection.authUser).toBe('ann@example.test');
  });

  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5'])('refuses AUTH %s with a wrong password with 535', async (method) => {
    const send = transport(sandbox.ports.smtp as number, { auth: { user: 'ann@example.test', pass: 'wrong' }, authMethod: method }).sendMail({
      envelope: { from: 'a@example.test', to: ['b@example.test'] },
      raw: makeMessage('wrong password'),
    });
    await expect(send).rejects.toMatchObject({ responseCode: 535 });
  });
});

describe('SMTP with --smtp-auth required', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await smtpSandbox({ smtpAuth: 'required', users: { 'ann@example.test': 'pw' } });
  });
  afterAll(() => sandbox.close());

  it('refuses an unauthenticated MAIL with 530', async () => {
    const before = sandbox.store.size;
    const send = transport(sandbox.ports.smtp as number).sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw: makeMessage('no auth') });
    await expect(send).rejects.toMatchObject({ responseCode: 530 });
    expect(sandbox.store.size).toBe(before);
  });

  it('accepts an authenticated client', async () => {
    const message = await sendRaw(sandbox, { requireTLS: true, auth: { user: 'ann@example.test', pass: 'pw' } }, makeMessage('with auth'));
    expect(message.connection.authUser).toBe('ann@example.test');
  });
});
