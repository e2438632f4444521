import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { makeMessage, nextMessage, smtpSandbox } from '../protocol/smtp-helpers.js';

const run = promisify(execFile);

function has(tool: string, arg = '--version'): boolean {
  try {
    execFileSync(tool, [arg], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const hasPython = has('python3');
const hasCurl = has('curl');
const hasSwaks = has('swaks');

/** Python smtplib sending `raw` (passed as a file, so the bytes are exact). */
const pythonSender = `
import smtplib, ssl, sys
mode, port, path, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl._create_unverified_context()
raw = open(path, 'rb').read()
if mode == 'ssl':
    s = smtplib.SMTP_SSL('127.0.0.1', port, context=ctx)
else:
    s = smtplib.SMTP('127.0.0.1', port)
    s.ehlo()
    s.starttls(context=ctx)
    s.ehlo()
if user:
    s.login(user, password)
s.sendmail('py@example.test', ['ann@example.test', 'bob@example.test'], raw)
s.quit()
`;

describe('SMTP interoperability with real clients', () => {
  let sandbox: Sandbox;
  let dir: string;

  beforeAll(async () => {
    sandbox = await smtpSandbox();
    dir = mkdtempSync(join(tmpdir(), 'mailsandbox-smtp-'));
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, content: Buffer | string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  it.skipIf(!hasPython)('python smtplib delivers over STARTTLS with login [needs python3 on PATH, skipped without it]', async () => {
    const raw = makeMessage('python starttls', '.leading dot\r\nGrüße\r\n');
    const added = nextMessage(sandbox);
    await run('python3', ['-c', pythonSender, 'starttls', String(sandbox.ports.submission), file('py1.eml', raw), 'py@example.test', 'pw']);
    const message = await added;
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.envelope.rcptTo).toEqual(['ann@example.test', 'bob@example.test']);
    expect(message.connection).toMatchObject({ tls: true, authUser: 'py@example.test' });
  });

  it.skipIf(!hasPython)('python smtplib delivers over SMTP_SSL [needs python3 on PATH, skipped without it]', async () => {
    const raw = makeMessage('python ssl');
    const added = nextMessage(sandbox);
    await run('python3', ['-c', pythonSender, 'ssl', String(sandbox.ports.smtps), file('py2.eml', raw), '', '']);
    const message = await added;
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.connection.tls).toBe(true);
  });

  it.skipIf(!hasCurl)('curl smtp:// --ssl-reqd delivers over STARTTLS [needs curl on PATH, skipped without it]', async () => {
    const raw = makeMessage('curl starttls');
    const added = nextMessage(sandbox);
    await run('curl', ['-sS', '--ssl-reqd', '-k', `smtp://127.0.0.1:${sandbox.ports.submission}`, '--mail-from', 'curl@example.test', '--mail-rcpt', 'ann@example.test', '-T', file('curl.eml', raw)]);
    const message = await added;
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.connection.tls).toBe(true);
  });

  it.skipIf(!hasCurl)('curl smtps:// delivers over implicit TLS with AUTH [needs curl on PATH, skipped without it]', async () => {
    const raw = makeMessage('curl smtps');
    const added = nextMessage(sandbox);
    await run('curl', ['-sS', '-k', `smtps://127.0.0.1:${sandbox.ports.smtps}`, '--user', 'curl@example.test:pw', '--mail-from', 'curl@example.test', '--mail-rcpt', 'ann@example.test', '-T', file('curls.eml', raw)]);
    const message = await added;
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.connection).toMatchObject({ tls: true, authUser: 'curl@example.test' });
  });

  it.skipIf(!hasSwaks)('swaks delivers over plain SMTP [needs swaks on PATH, skipped without it]', async () => {
    const added = nextMessage(sandbox);
    await run('swaks', ['--server', `127.0.0.1:${sandbox.ports.smtp}`, '--from', 'swaks@example.test', '--to', 'ann@example.test', '--header', 'Subject: swaks plain', '--body', 'hello from swaks']);
    const message = await added;
    expect(message.summary.subject).toBe('swaks plain');
    expect(message.raw.toString()).toContain('hello from swaks');
  });

  it.skipIf(!hasSwaks)('swaks delivers over STARTTLS with AUTH CRAM-MD5 [needs swaks on PATH, skipped without it]', async () => {
    const added = nextMessage(sandbox);
    await run('swaks', [
      '--server', `127.0.0.1:${sandbox.ports.submission}`, '--tls', '--auth', 'CRAM-MD5', '--auth-user', 'swaks@example.test', '--auth-password', 'pw',
      '--from', 'swaks@example.test', '--to', 'ann@example.test', '--header', 'Subject: swaks tls',
    ]);
    const message = await added;
    expect(message.connection).toMatchObject({ tls: true, authUser: 'swaks@example.test' });
  });

  it.skipIf(!hasSwaks)('swaks delivers over implicit TLS [needs swaks on PATH, skipped without it]', async () => {
    const added = nextMessage(sandbox);
    await run('swaks', ['--server', `127.0.0.1:${sandbox.ports.smtps}`, '--tlsc', '--from', 'swaks@example.test', '--to', 'ann@example.test', '--header', 'Subject: swaks tlsc']);
    const message = await added;
    expect(message.connection.tls).toBe(true);
    expect(message.summary.subject).toBe('swaks tlsc');
  });
});
