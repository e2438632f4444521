import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { createSandbox, type Sandbox } from '../../src/index.js';

/** A 2 MiB tmpfs as the data directory: the disk really fills up. Needs root (mount); CI runs as root. */
const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-full-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]).status === 0;
if (!mounted && process.env.CI) throw new Error(`mount -t tmpfs failed on ${dir}: the full-disk test needs root in CI`);

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** ~20 KB that does not compress: the disk fills after about a hundred. */
function bulky(i: number): Buffer {
  const body = randomBytes(15_000).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(`From: a@example.test\r\nTo: full@example.test\r\nSubject: bulky ${i}\r\n\r\n${body}\r\n`);
}

describe.skipIf(!mounted)('a full disk under --data-dir [needs root to mount a tmpfs]', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ dataDir: dir, logLevel: 'silent', maxSize: 0, maxMessages: 0 });
  });
  afterAll(async () => {
    await sandbox?.close();
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers SMTP 452 4.3.1, IMAP NO [OVERQUOTA] and HTTP 507, loses nothing acknowledged, and recovers when space returns', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, ignoreTLS: true });
    const acked = new Map<string, string>();
    let refusal: (Error & { responseCode?: number; response?: string }) | undefined;
    for (let i = 0; i < 400 && !refusal; i++) {
      const raw = bulky(i);
      try {
        const info = await transport.sendMail({ envelope: { from: 'a@example.test', to: ['full@example.test'] }, raw });
        acked.set(/queued as (\S+)/.exec(info.response)![1], sha(raw));
      } catch (err) {
        refusal = err as typeof refusal;
      }
    }
    expect(refusal?.responseCode).toBe(452);
    expect(refusal?.response).toMatch(/^452 4\.3\.1 /);
    expect(acked.size).toBeGreaterThan(10);

    const imap = new ImapFlow({ host: '127.0.0.1', port: sandbox.ports.imap!, secure: false, auth: { user: 'full@example.test', pass: 'x' }, logger: false });
    await imap.connect();
    // SQLite may find room for one more write of the same size after a failed one (a rolled-back transaction frees
    // pages): APPEND until refused, and every APPEND it acknowledged must then survive like the SMTP ones.
    const alsoAcked: string[] = [];
    let appended: { serverResponseCode?: string } | undefined;
    for (let i = 0; i < 50; i++) {
      const raw = bulky(1000 + i);
      appended = await imap.append('INBOX', raw).then(
        () => undefined,
        (err: { serverResponseCode?: string }) => err,
      );
      if (appended) break;
      alsoAcked.push(sha(raw));
    }
    expect(appended?.serverResponseCode).toBe('OVERQUOTA');

    let http: Response | undefined;
    for (let i = 0; i < 50; i++) {
      const raw = bulky(1100 + i);
      http = await fetch(`${sandbox.url}/api/v1/messages?mailbox=full@example.test`, { method: 'POST', headers: { 'content-type': 'message/rfc822' }, body: new Uint8Array(raw) });
      if (http.status !== 201) break;
      alsoAcked.push(sha(raw));
    }
    expect(http?.status).toBe(507);
    expect(((await http!.json()) as { error: { code: string } }).error.code).toBe('insufficient_storage');

    // The server is still up and every acknowledged message is there.
    expect(sandbox.store.size).toBe(acked.size + alsoAcked.length);
    for (const [id, hash] of acked) expect(sha(sandbox.store.get(id)!.raw)).toBe(hash);
    const stored = new Set([...sandbox.store.newestFirst()].map((m) => sha(m.raw)));
    for (const hash of alsoAcked) expect(stored).toContain(hash);

    // Space comes back: the same connections work again.
    expect(spawnSync('mount', ['-o', 'remount,size=64m', dir]).status).toBe(0);
    const info = await transport.sendMail({ envelope: { from: 'a@example.test', to: ['full@example.test'] }, raw: bulky(2000) });
    expect(info.response).toMatch(/^250 /);
    const ok = await imap.append('INBOX', bulky(2001));
    expect(ok && ok.uid).toBeGreaterThan(0);
    await imap.logout();
    transport.close();

    // And after a restart, everything acknowledged before and after the full disk is there, byte-exact.
    await sandbox.close();
    sandbox = await createSandbox({ dataDir: dir, logLevel: 'silent', maxSize: 0, maxMessages: 0 });
    expect(sandbox.store.size).toBe(acked.size + alsoAcked.length + 2);
    for (const [id, hash] of acked) expect(sha(sandbox.store.get(id)!.raw)).toBe(hash);
  }, 120_000);
});
