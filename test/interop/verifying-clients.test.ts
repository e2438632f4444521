import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type SandboxWith } from '../../src/index.js';
import { makeMessage, nextMessage } from '../protocol/smtp-helpers.js';

const run = promisify(execFile);

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Clients that verify certificates, given the one the sandbox serves (SPEC §3). Locally a missing client skips with
 * the reason in the test name; in CI (`CI` set) the test runs and fails, so a missing apt package is noticed.
 */
const needs = (tool: string) => !hasCommand(tool) && !process.env.CI;

const options = { starttls: 'on', logLevel: 'silent' } as const;

describe('clients that verify the certificate, given the one from /api/v1/tls/certificate', () => {
  let sandbox: SandboxWith<typeof options>;
  let dir: string;
  let ca: string;

  beforeAll(async () => {
    // mbsync and fetchmail upgrade the plain IMAP/POP3 ports, so STARTTLS/STLS must be on (SPEC §3).
    sandbox = await createSandbox(options);
    dir = await mkdtemp(join(tmpdir(), 'mailsandbox-verify-'));
    ca = join(dir, 'mailsandbox.pem');
    await writeFile(ca, await (await fetch(`${sandbox.url}/api/v1/tls/certificate`)).text());
  });
  afterAll(async () => {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(needs('mbsync'))('mbsync syncs an IMAP INBOX over STARTTLS with the certificate as CertificateFile [needs isync]', async () => {
    const raw = makeMessage('for mbsync', 'synced by mbsync\r\n');
    await sandbox.deliver(raw, { to: 'mb@example.test' });
    const maildir = join(dir, 'maildir');
    await mkdir(maildir); // mbsync creates the folders, not the store's root
    const config = [
      'IMAPAccount sandbox',
      'Host 127.0.0.1',
      `Port ${sandbox.ports.imap}`,
      'User mb@example.test',
      'Pass anything',
      'SSLType STARTTLS',
      `CertificateFile ${ca}`,
      '',
      'IMAPStore remote',
      'Account sandbox',
      '',
      'MaildirStore local',
      `Path ${maildir}/`,
      `Inbox ${maildir}/INBOX`,
      '',
      'Channel inbox',
      'Far :remote:',
      'Near :local:',
      'Patterns INBOX',
      'Create Near',
      'SyncState *',
      '',
    ].join('\n');
    await writeFile(join(dir, 'mbsyncrc'), config);
    await run('mbsync', ['-c', join(dir, 'mbsyncrc'), 'inbox'], { timeout: 30_000 });
    const files = await readdir(join(maildir, 'INBOX', 'new'));
    expect(files).toHaveLength(1);
    // mbsync writes LF line endings and adds its own X-TUID header; the rest is the message as stored.
    const synced = await readFile(join(maildir, 'INBOX', 'new', files[0]), 'utf8');
    expect(synced.replace(/^X-TUID: .*\n/m, '')).toBe(raw.toString('utf8').replace(/\r\n/g, '\n'));
    const session = sandbox.context.sessions.list().find((s) => s.protocol === 'imap' && s.user === 'mb@example.test');
    expect(session?.tls).toBe(true);
  });

  it.skipIf(needs('fetchmail'))('fetchmail downloads over POP3 STLS with sslcertck and the certificate as sslcertfile [needs fetchmail]', async () => {
    const raw = makeMessage('for fetchmail', 'fetched by fetchmail\r\n');
    await sandbox.deliver(raw, { to: 'fm@example.test' });
    const out = join(dir, 'fetched.mbox');
    const rc = join(dir, 'fetchmailrc');
    await writeFile(
      rc,
      `poll 127.0.0.1 port ${sandbox.ports.pop3} protocol POP3 user 'fm@example.test' password 'anything' sslcertck sslcertfile ${ca} keep fetchall mda "/bin/cat >> ${out}"\n`,
    );
    await chmod(rc, 0o600); // fetchmail refuses a readable rc file with a password in it
    await run('fetchmail', ['-f', rc, '--nosyslog', '--pidfile', join(dir, 'fetchmail.pid')], { timeout: 30_000, env: { ...process.env, HOME: dir } });
    const fetched = await readFile(out, 'utf8');
    expect(fetched).toContain('Subject: for fetchmail');
    expect(fetched).toContain('fetched by fetchmail');
    const session = sandbox.context.sessions.list().find((s) => s.protocol === 'pop3' && s.user === 'fm@example.test');
    expect(session?.tls).toBe(true);
  });

  it.skipIf(needs('curl'))('curl --cacert reads POP3S and IMAPS and sends over the submission port with --ssl-reqd [needs curl]', async () => {
    await sandbox.deliver(makeMessage('for curl'), { to: 'cu@example.test' });
    const pop3 = await run('curl', ['-sS', '--cacert', ca, '--user', 'cu@example.test:x', `pop3s://127.0.0.1:${sandbox.ports.pop3s}/`]);
    expect(pop3.stdout).toMatch(/^1 \d+\r?\n$/);
    const imap = await run('curl', ['-sS', '--cacert', ca, '--user', 'cu@example.test:x', `imaps://127.0.0.1:${sandbox.ports.imaps}/INBOX?SUBJECT%20curl`]);
    expect(imap.stdout).toMatch(/^\* SEARCH 1\r?\n$/);
    const raw = makeMessage('sent by curl');
    await writeFile(join(dir, 'curl.eml'), raw);
    const added = nextMessage(sandbox);
    await run('curl', ['-sS', '--ssl-reqd', '--cacert', ca, `smtp://127.0.0.1:${sandbox.ports.submission}`, '--mail-from', 'cu@example.test', '--mail-rcpt', 'ann@example.test', '-T', join(dir, 'curl.eml')]);
    const message = await added;
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.connection.tls).toBe(true);
  });

  it.skipIf(needs('curl'))('curl without the certificate refuses the connection, so the test above proves verification [needs curl]', async () => {
    await expect(run('curl', ['-sS', '--user', 'cu@example.test:x', `pop3s://127.0.0.1:${sandbox.ports.pop3s}/`])).rejects.toMatchObject({ code: 60 });
  });
});
