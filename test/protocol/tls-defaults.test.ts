import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSandbox, type Sandbox, type SandboxWith } from '../../src/index.js';
import type { SessionRecord } from '../../src/store/session-log.js';
import { RawImap } from './imap-raw-client.js';
import { rawConnect } from './pop3-helpers.js';
import { makeMessage, nextMessage, RawSmtpClient } from './smtp-helpers.js';

/** Resolves with the next session of `protocol` to end, with its whole transcript. */
function nextSessionEnd(sandbox: Sandbox, protocol: string): Promise<SessionRecord> {
  return new Promise((resolve) => {
    const off = sandbox.context.sessions.on('session.ended', (s) => {
      if (s.protocol !== protocol) return;
      off();
      resolve(s);
    });
  });
}

async function certificateOf(sandbox: Sandbox): Promise<string> {
  const res = await fetch(`${sandbox.url}/api/v1/tls/certificate`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/x-pem-file/);
  return res.text();
}

/** The certificate a TLS listener presents, as seen by a client. */
async function presentedFingerprint(port: number): Promise<string> {
  const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
  socket.destroy();
  return fingerprint;
}

describe('the first send, with default options', () => {
  let sandbox: SandboxWith<{}>; // default options: every port a number
  beforeAll(async () => {
    sandbox = await createSandbox({ logLevel: 'silent' });
  });
  afterAll(() => sandbox.close());

  it('delivers from nodemailer given only host and port, the line every Node developer writes first', async () => {
    const added = nextMessage(sandbox);
    const info = await nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp }).sendMail({
      from: 'app@example.test',
      to: 'ann@example.test',
      subject: 'Welcome',
      text: 'Hi',
    });
    const message = await added;
    expect(info.response).toBe(`250 2.6.0 Ok: queued as ${message.id}`);
    expect(message.connection.tls).toBe(false);
  });

  it('offers no STARTTLS on the plain SMTP port and answers one as an unknown command', async () => {
    const client = await RawSmtpClient.connect(sandbox.ports.smtp);
    expect(await client.hello()).not.toContain('STARTTLS');
    expect(await client.command('STARTTLS')).toMatch(/^50[02] /);
    expect(await client.command('QUIT')).toMatch(/^221 /);
  });

  it('offers STARTTLS on the submission port with no flag', async () => {
    const client = await RawSmtpClient.connect(sandbox.ports.submission);
    expect(await client.hello()).toContain('STARTTLS');
    expect(await client.command('STARTTLS')).toMatch(/^220 /);
    await client.startTls();
    expect(await client.command('EHLO client.test')).toMatch(/^250-/);
    client.destroy();
  });

  it('offers no STLS on the plain POP3 port and refuses one', async () => {
    const { client, socket } = await rawConnect(sandbox.ports.pop3);
    client.sendLine('CAPA');
    expect(await client.readLine()).toMatch(/^\+OK/);
    expect((await client.readMultiline()).toString()).not.toContain('STLS');
    client.sendLine('STLS');
    expect(await client.readLine()).toBe('-ERR STLS not available');
    socket.destroy();
  });

  it('offers no STARTTLS on the plain IMAP port and refuses one', async () => {
    const client = await RawImap.connect(sandbox.ports.imap);
    expect(await client.command('A1', 'CAPABILITY')).not.toContain('STARTTLS');
    expect(await client.command('A2', 'STARTTLS')).toMatch(/^A2 BAD /m);
    client.end();
  });

  it('serves the certificate every TLS listener presents as PEM, with the fingerprint /api/v1/info reports', async () => {
    const pem = await certificateOf(sandbox);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(pem).not.toContain('PRIVATE KEY');
    const cert = new X509Certificate(pem);
    // Verification by IP needs the IP in the certificate (clients connect to 127.0.0.1 far more than to localhost).
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    const info = (await (await fetch(`${sandbox.url}/api/v1/info`)).json()) as { tlsFingerprint256: string };
    expect(info.tlsFingerprint256).toBe(cert.fingerprint256);
    for (const port of [sandbox.ports.smtps, sandbox.ports.pop3s, sandbox.ports.imaps]) expect(await presentedFingerprint(port)).toBe(cert.fingerprint256);
  });

  it('delivers from nodemailer with requireTLS and the served certificate as its only CA, verifying', async () => {
    const ca = await certificateOf(sandbox);
    const added = nextMessage(sandbox);
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: sandbox.ports.submission, requireTLS: true, tls: { ca } })
      .sendMail({ envelope: { from: 'app@example.test', to: ['ann@example.test'] }, raw: makeMessage('verified') });
    expect((await added).connection.tls).toBe(true);
  });
});

describe('a client that refuses the certificate after STARTTLS', () => {
  let sandbox: SandboxWith<{}>; // default options: every port a number
  let stderr: string[];
  beforeAll(async () => {
    sandbox = await createSandbox({ starttls: 'on', logLevel: 'warn' });
  });
  afterAll(() => sandbox.close());
  afterEach(() => void vi.restoreAllMocks());

  function captureStderr(): void {
    stderr = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
  }

  it('is noted in the SMTP transcript and the log with a hint', async () => {
    captureStderr();
    const ended = nextSessionEnd(sandbox, 'smtp');
    // nodemailer's defaults: upgrade when offered, verify the certificate (self-signed here, so it refuses it).
    const send = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.submission }).sendMail({ from: 'a@example.test', to: 'b@example.test', text: 'x' });
    await expect(send).rejects.toThrow(/self[- ]signed certificate/);
    const lines = (await ended).lines.map((l) => l.line);
    expect(lines).toContain('STARTTLS');
    expect(lines.join('\n')).toMatch(/hung up right after STARTTLS .*did it refuse the certificate\? .*GET \/api\/v1\/tls\/certificate/);
    expect(stderr.join('')).toMatch(/WARN smtp: client hung up right after STARTTLS/);
  });

  it('is noted for POP3 after STLS', async () => {
    captureStderr();
    const ended = nextSessionEnd(sandbox, 'pop3');
    const { client, socket } = await rawConnect(sandbox.ports.pop3);
    client.sendLine('STLS');
    expect(await client.readLine()).toMatch(/^\+OK/);
    socket.destroy();
    expect((await ended).lines.map((l) => l.line).join('\n')).toMatch(/hung up right after STLS .*refuse the certificate/);
    expect(stderr.join('')).toMatch(/WARN pop3: client hung up right after STLS/);
  });

  it('is noted for IMAP after STARTTLS, once the handshake completed', async () => {
    const ended = nextSessionEnd(sandbox, 'imap');
    const plain = await RawImap.connect(sandbox.ports.imap);
    plain.write('A1 STARTTLS\r\n');
    await plain.until(/^A1 OK.*\r\n/m);
    plain.socket.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain.socket as never, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    secure.destroy();
    expect((await ended).lines.map((l) => l.line).join('\n')).toMatch(/hung up right after STARTTLS .*refuse the certificate/);
  });

  it('is not noted for a client that carries on over TLS', async () => {
    const ended = nextSessionEnd(sandbox, 'pop3');
    const { client, socket } = await rawConnect(sandbox.ports.pop3);
    client.sendLine('STLS');
    expect(await client.readLine()).toMatch(/^\+OK/);
    socket.removeAllListeners('data');
    const secure = tlsConnect({ socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    secure.end('QUIT\r\n');
    const lines = (await ended).lines.map((l) => l.line);
    expect(lines).toContain('QUIT');
    expect(lines.join('\n')).not.toContain('hung up');
  });
});

describe('--starttls required', () => {
  let sandbox: SandboxWith<{}>; // default options: every port a number
  beforeAll(async () => {
    sandbox = await createSandbox({ starttls: 'required', logLevel: 'silent' });
  });
  afterAll(() => sandbox.close());

  it('refuses SMTP mail and AUTH before STARTTLS with 530 5.7.0, and takes mail after it', async () => {
    const client = await RawSmtpClient.connect(sandbox.ports.smtp);
    expect(await client.hello()).toContain('STARTTLS');
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^530 5\.7\.0 /);
    expect(await client.command(`AUTH PLAIN ${Buffer.from('\0ann@example.test\0pw').toString('base64')}`)).toMatch(/^530 5\.7\.0 /);
    expect(await client.command('STARTTLS')).toMatch(/^220 /);
    await client.startTls();
    await client.command('EHLO client.test');
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250 /);
    client.destroy();
  });

  it('requires TLS on the submission port too', async () => {
    const client = await RawSmtpClient.connect(sandbox.ports.submission);
    await client.hello();
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^530 5\.7\.0 /);
    client.destroy();
  });

  it('leaves the implicit-TLS port as it is', async () => {
    const added = nextMessage(sandbox);
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: sandbox.ports.smtps, secure: true, tls: { ca: await certificateOf(sandbox) } })
      .sendMail({ envelope: { from: 'a@example.test', to: ['b@example.test'] }, raw: makeMessage('smtps') });
    expect((await added).connection.tls).toBe(true);
  });

  it('refuses POP3 logins before STLS with -ERR, and accepts them after', async () => {
    const { client, socket } = await rawConnect(sandbox.ports.pop3);
    client.sendLine('USER ann@example.test');
    expect(await client.readLine()).toBe('-ERR TLS required: issue STLS first');
    client.sendLine('AUTH PLAIN');
    expect(await client.readLine()).toMatch(/^-ERR TLS required/);
    client.sendLine('STLS');
    expect(await client.readLine()).toMatch(/^\+OK/);
    socket.removeAllListeners('data');
    const secure = tlsConnect({ socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const answers: string[] = [];
    secure.on('data', (d: Buffer) => answers.push(d.toString()));
    secure.write('USER ann@example.test\r\nPASS pw\r\nQUIT\r\n');
    await new Promise((resolve) => secure.once('end', resolve));
    expect(answers.join('')).toMatch(/^\+OK Send PASS.*\r\n\+OK ann@example\.test has 0 messages/);
  });

  it('refuses IMAP LOGIN before STARTTLS with NO [PRIVACYREQUIRED] and says LOGINDISABLED', async () => {
    const client = await RawImap.connect(sandbox.ports.imap);
    const caps = await client.command('A1', 'CAPABILITY');
    expect(caps).toContain('STARTTLS');
    expect(caps).toContain('LOGINDISABLED');
    expect(await client.command('A2', 'LOGIN ann@example.test pw')).toMatch(/^A2 NO \[PRIVACYREQUIRED\] /m);
    expect(await client.command('A3', 'AUTHENTICATE PLAIN AGFubkBleGFtcGxlLnRlc3QAcHc=')).toMatch(/^A3 NO \[PRIVACYREQUIRED\] /m);
    client.write('A4 STARTTLS\r\n');
    await client.until(/^A4 OK.*\r\n/m);
    client.socket.removeAllListeners('data');
    const secure = tlsConnect({ socket: client.socket as never, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const c = new RawImap(secure);
    expect(await c.command('A5', 'CAPABILITY')).not.toContain('LOGINDISABLED');
    expect(await c.command('A6', 'LOGIN ann@example.test pw')).toMatch(/^A6 OK /m);
    c.end();
  });
});
