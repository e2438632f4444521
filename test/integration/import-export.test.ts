import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';

const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailsandbox-io-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const onlyHttp = { smtp: { port: false }, submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, logLevel: 'silent' } as const;

/** Messages with the awkward parts: 8-bit bytes, a line starting with "From ", a dot line, no final newline. */
const originals = [
  Buffer.from('From: a@example.test\r\nTo: ann@example.test\r\nSubject: one\r\n\r\nplain\r\n'),
  Buffer.concat([Buffer.from('From: b@example.test\r\nTo: ann@example.test\r\nSubject: two\r\nContent-Type: text/plain; charset=latin1\r\n\r\n'), Buffer.from([0xe9, 0xe8, 13, 10]), Buffer.from('.\r\nFrom the start\r\n')]),
  Buffer.from('From: c@example.test\r\nTo: bob@example.test, ann@example.test\r\nSubject: three\r\n\r\nlast line without newline'),
];

/** File contents of a directory, sorted, for comparing sets of messages. */
const contents = (dir: string) => readdirSync(dir).map((n) => readFileSync(join(dir, n)).toString('latin1')).sort();

describe('mailsandbox import / export', () => {
  it('round-trips .eml files byte-exact through a running sandbox (--url)', async () => {
    const src = temp();
    originals.forEach((raw, i) => writeFileSync(join(src, `m${i}.eml`), raw));
    const sandbox = await createSandbox(onlyHttp);
    try {
      const imported = await cli(['import', '--url', sandbox.url!, ...originals.map((_, i) => join(src, `m${i}.eml`))]);
      expect(imported.stderr).toContain('imported 3 messages');
      expect(imported.code).toBe(0);
      expect(sandbox.messages({ mailbox: 'bob@example.test' })).toHaveLength(1);
      const out = join(temp(), 'eml');
      const exported = await cli(['export', '--url', sandbox.url!, '--out', out]);
      expect(exported.code).toBe(0);
      // Byte-exact, the last one's missing final newline included.
      expect(contents(out)).toEqual(originals.map((b) => b.toString('latin1')).sort());
      // And what was exported imports back to the same bytes.
      const again = await createSandbox(onlyHttp);
      await cli(['import', '--url', again.url!, out]);
      const out2 = join(temp(), 'eml');
      await cli(['export', '--url', again.url!, '--out', out2]);
      expect(contents(out2)).toEqual(contents(out));
      await again.close();
    } finally {
      await sandbox.close();
    }
  }, 60_000);

  it('round-trips a Maildir with its flags through a stopped sandbox (--data-dir)', async () => {
    const maildir = join(temp(), 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    writeFileSync(join(maildir, 'cur', '1700000000.a.host:2,FS'), originals[0]);
    writeFileSync(join(maildir, 'cur', '1700000001.b.host:2,RS'), originals[1]);
    writeFileSync(join(maildir, 'new', '1700000002.c.host'), Buffer.concat([originals[2], Buffer.from('\r\n')]));
    const data = temp();
    const imported = await cli(['import', '--data-dir', data, '--mailbox', 'qa@example.test', maildir]);
    expect(imported.code, imported.stderr).toBe(0);
    const out = join(temp(), 'export');
    const exported = await cli(['export', '--data-dir', data, '--out', out, '--format', 'maildir']);
    expect(exported.code, exported.stderr).toBe(0);
    const names = readdirSync(join(out, 'cur'));
    const bySubject = new Map(names.map((n) => [/Subject: (\w+)/.exec(readFileSync(join(out, 'cur', n), 'latin1'))![1], n]));
    expect(bySubject.get('one')).toMatch(/:2,FS$/);
    expect(bySubject.get('two')).toMatch(/:2,RS$/);
    expect(bySubject.get('three')).toMatch(/:2,$/);
    expect(contents(join(out, 'cur'))).toEqual([...contents(join(maildir, 'cur')), ...contents(join(maildir, 'new'))].sort());
    // The data dir now serves them over the protocols too, with the flags as IMAP flags.
    const sandbox = await createSandbox({ ...onlyHttp, http: { port: false }, dataDir: data });
    const inbox = sandbox.store.getFolder('qa@example.test', 'INBOX')!;
    expect(inbox.placements.map((p) => [...p.flags].sort().join(' '))).toEqual(['\\Flagged \\Seen', '\\Answered \\Seen', '']);
    await sandbox.close();
  }, 60_000);

  it('imports an mbox (mboxrd: ">From " unquoted, LF line endings made CRLF)', async () => {
    const mbox = join(temp(), 'mail.mbox');
    writeFileSync(
      mbox,
      [
        'From a@example.test Thu Jan  1 00:00:00 2026',
        'From: a@example.test',
        'To: ann@example.test',
        'Subject: first',
        '',
        '>From the quoted line',
        '>>From twice quoted',
        '',
        'From b@example.test Thu Jan  1 00:00:01 2026',
        'From: b@example.test',
        'To: ann@example.test',
        'Subject: second',
        '',
        'body',
        '',
      ].join('\n'),
    );
    const sandbox = await createSandbox(onlyHttp);
    try {
      const imported = await cli(['import', '--url', sandbox.url!, mbox]);
      expect(imported.code, imported.stderr).toBe(0);
      const raws = sandbox.messages().map((m) => sandbox.store.get(m.id)!.raw.toString()).sort();
      expect(raws).toEqual([
        'From: a@example.test\r\nTo: ann@example.test\r\nSubject: first\r\n\r\nFrom the quoted line\r\n>From twice quoted\r\n',
        'From: b@example.test\r\nTo: ann@example.test\r\nSubject: second\r\n\r\nbody\r\n',
      ]);
    } finally {
      await sandbox.close();
    }
  }, 60_000);

  it('refuses a data dir a running sandbox holds, pointing at --url', async () => {
    const data = temp();
    const sandbox = await createSandbox({ ...onlyHttp, http: { port: false }, dataDir: data });
    const src = temp();
    writeFileSync(join(src, 'a.eml'), originals[0]);
    const res = await cli(['import', '--data-dir', data, join(src, 'a.eml')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('Another mailsandbox is using the data directory');
    await sandbox.close();
  });
});
