import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';

const run = promisify(execFile);
const has = (cmd: string, args: string[]) => run(cmd, args).then(() => true, () => false);
const [hasPython, hasSwaks, hasMbsync] = await Promise.all([has('python3', ['-c', 'import smtplib, poplib']), has('swaks', ['--version']), has('mbsync', ['--version'])]);
/** Locally a missing tool skips (the reason is in the suite name); in CI (`CI` set) it fails instead. */
const skip = (present: boolean) => !present && !process.env.CI;
const why = (present: boolean, tool: string) => (present ? '' : ` (skipped: ${tool} is not installed; apt-get install ${tool === 'mbsync' ? 'isync' : tool})`);

/** Runs Python with `port` in scope; prints what `out` holds as JSON. */
async function python(port: number, body: string): Promise<Record<string, unknown>> {
  const script = `import json, smtplib, poplib, sys\nport = int(sys.argv[1])\nout = {}\n${body}\nprint(json.dumps(out))\n`;
  const { stdout } = await run('python3', ['-c', script, String(port)], { timeout: 20_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('fault injection seen by real clients', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ smtp: { port: 0 }, smtps: { port: false }, pop3: { port: 0 }, pop3s: { port: false }, imap: { port: 0 }, imaps: { port: false }, http: { port: false }, logLevel: 'silent' });
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await sandbox.faults.clear();
    sandbox.clear();
  });

  describe.skipIf(skip(hasPython))(`Python smtplib and poplib${why(hasPython, 'python3')}`, () => {
    const send = `
s = smtplib.SMTP('127.0.0.1', port)
try:
    s.sendmail('app@example.test', ['ann@example.test'], b'Subject: hi\\r\\n\\r\\nhello\\r\\n')
    out['result'] = 'sent'
except Exception as e:
    out['error'] = type(e).__name__
    out['detail'] = repr(getattr(e, 'recipients', None) or getattr(e, 'smtp_code', None))
`;

    it('raises SMTPRecipientsRefused for a refused recipient', async () => {
      await sandbox.faults.add({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '550 5.1.1 No such user' });
      const out = await python(sandbox.ports.smtp as number, send);
      expect(out.error).toBe('SMTPRecipientsRefused');
      expect(out.detail).toContain('550');
    });

    it('raises SMTPDataError for a message refused after the final dot, which is not stored', async () => {
      await sandbox.faults.add({ protocol: 'smtp', on: 'message', action: 'reply', reply: '554 5.6.0 Refused' });
      const out = await python(sandbox.ports.smtp as number, send);
      expect(out).toMatchObject({ error: 'SMTPDataError', detail: '554' });
      expect(sandbox.store.size).toBe(0);
    });

    it('raises SMTPServerDisconnected when the connection drops mid-DATA', async () => {
      await sandbox.faults.add({ protocol: 'smtp', on: 'data', action: 'disconnect', partial: true });
      const out = await python(sandbox.ports.smtp as number, send);
      expect(out.error).toBe('SMTPServerDisconnected');
      expect(sandbox.store.size).toBe(0);
    });

    it('raises poplib.error_proto carrying the injected -ERR', async () => {
      await sandbox.deliver('Subject: x\r\n\r\nx\r\n', { to: 'bob@example.test' });
      await sandbox.faults.add({ protocol: 'pop3', on: 'RETR', action: 'reply', reply: '-ERR [SYS/TEMP] storage busy' });
      const out = await python(sandbox.ports.pop3 as number, `
p = poplib.POP3('127.0.0.1', port)
p.user('bob@example.test'); p.pass_('x')
try:
    p.retr(1)
except poplib.error_proto as e:
    out['error'] = e.args[0].decode()
out['stat'] = list(p.stat())
p.quit()`);
      expect(out.error).toBe('-ERR [SYS/TEMP] storage busy');
      expect(out.stat).toEqual([1, 17]); // the session goes on after the -ERR
    });
  });

  describe.skipIf(skip(hasSwaks))(`swaks${why(hasSwaks, 'swaks')}`, () => {
    it('reports the greylisting 451 at RCPT and sends on the second run', async () => {
      await sandbox.faults.add({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Greylisted', times: 1, per: 'sender+recipient' });
      const args = ['--server', '127.0.0.1', '--port', String(sandbox.ports.smtp), '--from', 'app@example.test', '--to', 'ann@example.test', '--h-Subject', 'swaks', '--no-tls'];
      const first = await run('swaks', args).then(() => null, (err: { code: number; stdout: string }) => err);
      expect(first?.code).toBe(24); // swaks: no recipients accepted
      expect(first?.stdout).toContain('<** 451 4.7.1 Greylisted');
      const second = await run('swaks', args);
      expect(second.stdout).toContain('<-  250');
      expect(sandbox.messages().map((m) => m.subject)).toEqual(['swaks']);
    });
  });

  describe.skipIf(skip(hasMbsync))(`mbsync (isync)${why(hasMbsync, 'mbsync')}`, () => {
    it('notices a UIDVALIDITY change on its next sync', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'mbsync-'));
      await mkdir(join(dir, 'mail'), { recursive: true });
      const conf = join(dir, 'mbsyncrc');
      await writeFile(
        conf,
        [
          'IMAPAccount sandbox', 'Host 127.0.0.1', `Port ${sandbox.ports.imap}`, 'User carol@example.test', 'Pass secret', 'SSLType None', 'AuthMechs LOGIN', '',
          'IMAPStore far', 'Account sandbox', '',
          'MaildirStore near', `Path ${dir}/mail/`, `Inbox ${dir}/mail/INBOX`, '',
          'Channel ch', 'Far :far:', 'Near :near:', 'Patterns INBOX', 'Create Near', 'SyncState *', '',
        ].join('\n'),
      );
      await sandbox.deliver('Subject: one\r\n\r\n1\r\n', { to: 'carol@example.test' });
      await sandbox.deliver('Subject: two\r\n\r\n2\r\n', { to: 'carol@example.test' });
      await run('mbsync', ['-c', conf, 'ch'], { timeout: 20_000 });
      expect(await readdir(join(dir, 'mail', 'INBOX', 'cur')).then((a) => a.length) + (await readdir(join(dir, 'mail', 'INBOX', 'new'))).length).toBe(2);
      await sandbox.faults.renewUidValidity('carol@example.test', 'INBOX');
      const again = await run('mbsync', ['-c', conf, 'ch'], { timeout: 20_000 }).then(
        (r) => ({ code: 0, text: r.stdout + r.stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, text: err.stdout + err.stderr }),
      );
      expect(again.text).toMatch(/UIDVALIDITY/i);
    });
  });
});
