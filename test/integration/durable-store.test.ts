import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import Pop3Command from 'node-pop3';
import { createSandbox } from '../../src/index.js';
import { ConfigError } from '../../src/config.js';
import { layoutVersion } from '../../src/store/sqlite/layout.js';
import { allZero, cliPath, durableCli, type RunningCli } from './durable-cli.js';

const fixture = fileURLToPath(new URL('../../fixtures/durable/layout-1.db', import.meta.url));
const fixture2 = fileURLToPath(new URL('../../fixtures/durable/layout-2.db', import.meta.url));
const fixture3 = fileURLToPath(new URL('../../fixtures/durable/layout-3.db', import.meta.url));
const { tempDir, startCli, stop } = durableCli('mailsandbox-durable-');
type Running = RunningCli;

function imap(r: Running, user: string): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port: r.ports.imap, secure: false, auth: { user, pass: 'x' }, logger: false, tls: { rejectUnauthorized: false } });
}

function pop3(r: Running, user: string): Pop3Command {
  return new Pop3Command({ user, password: 'x', host: '127.0.0.1', port: r.ports.pop3, tls: false });
}

const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

function mail(i: number, size = 1024): Buffer {
  const head = `From: load@example.test\r\nTo: crash@example.test\r\nSubject: load ${i}\r\nMessage-ID: <load-${i}@example.test>\r\n\r\n`;
  const line = `message ${i} `.padEnd(76, 'x') + '\r\n';
  return Buffer.from(head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length))));
}

describe('the durable store (--data-dir) across restarts and crashes', () => {
  it('serves the same UIDVALIDITY, UIDs, flags and POP3 UIDLs after a SIGTERM restart, and imapflow finds nothing new to download', async () => {
    const dir = tempDir();
    let r = await startCli(dir);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: r.ports.smtp, secure: false, ignoreTLS: true });
    for (let i = 0; i < 3; i++) await transport.sendMail({ envelope: { from: 'a@example.test', to: ['ann@example.test'] }, raw: mail(i, 300) });
    transport.close();
    let client = imap(r, 'ann@example.test');
    await client.connect();
    let lock = await client.getMailboxLock('INBOX');
    const before = { uidValidity: String(client.mailbox && client.mailbox.uidValidity), uidNext: client.mailbox && client.mailbox.uidNext };
    const seen: Array<{ uid: number; sha: string }> = [];
    for await (const m of client.fetch('1:*', { uid: true, source: true })) seen.push({ uid: m.uid, sha: sha(m.source!) });
    await client.messageFlagsAdd({ uid: '2' }, ['\\Flagged', '$Keep'], { uid: true });
    lock.release();
    await client.logout();
    let box = pop3(r, 'ann@example.test');
    const uidls = await box.UIDL();
    await box.QUIT();

    await stop(r, 'SIGTERM');
    r = await startCli(dir);

    client = imap(r, 'ann@example.test');
    await client.connect();
    lock = await client.getMailboxLock('INBOX');
    expect({ uidValidity: String(client.mailbox && client.mailbox.uidValidity), uidNext: client.mailbox && client.mailbox.uidNext }).toEqual(before);
    // A caching client asks only for UIDs past the last it has: there are none.
    const fresh: number[] = [];
    for await (const m of client.fetch(`${Number(before.uidNext)}:*`, { uid: true }, { uid: true })) if (m.uid >= Number(before.uidNext)) fresh.push(m.uid);
    expect(fresh).toEqual([]);
    const again: Array<{ uid: number; sha: string }> = [];
    const flags = new Map<number, string[]>();
    for await (const m of client.fetch('1:*', { uid: true, source: true, flags: true })) {
      again.push({ uid: m.uid, sha: sha(m.source!) });
      flags.set(m.uid, [...(m.flags ?? [])].sort());
    }
    expect(again).toEqual(seen);
    expect(flags.get(2)).toEqual(['$Keep', '\\Flagged']);
    lock.release();
    await client.logout();
    box = pop3(r, 'ann@example.test');
    expect(await box.UIDL()).toEqual(uidls);
    await box.QUIT();
    await stop(r, 'SIGTERM');
  }, 60_000);

  it('tells a QRESYNC client (imapflow) exactly what changed after a SIGTERM restart: MODSEQs and expunges are kept, no full resync', async () => {
    const dir = tempDir();
    let r = await startCli(dir);
    const send = async (run: Running, i: number): Promise<string> => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: run.ports.smtp, secure: false, ignoreTLS: true });
      const info = await transport.sendMail({ envelope: { from: 'a@example.test', to: ['ann@example.test'] }, raw: mail(i, 300) });
      transport.close();
      return /queued as (\S+)/.exec(info.response)![1];
    };
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) ids.push(await send(r, i));
    const qresync = (run: Running) => {
      const c = new ImapFlow({ host: '127.0.0.1', port: run.ports.imap, secure: false, auth: { user: 'ann@example.test', pass: 'x' }, logger: false, qresync: true });
      c.on('error', () => {});
      return c;
    };
    let client = qresync(r);
    await client.connect();
    expect(client.enabled.has('QRESYNC')).toBe(true);
    const { uidValidity, highestModseq } = await client.mailboxOpen('INBOX');
    expect(highestModseq).toBeGreaterThan(0n);
    await client.logout();

    await stop(r, 'SIGTERM');
    r = await startCli(dir);
    // After the restart: a flag over REST, an expunge (REST DELETE), a delivery over SMTP. Three changes, nothing else.
    const patch = await fetch(`${r.url}/api/v1/messages/${ids[1]}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"seen":true}' });
    expect(patch.status).toBe(200);
    expect((await fetch(`${r.url}/api/v1/messages/${ids[2]}`, { method: 'DELETE' })).status).toBe(204);
    await send(r, 5);

    client = qresync(r);
    await client.connect();
    const vanished: Array<{ uid?: number; earlier?: boolean }> = [];
    const changed: Array<{ uid?: number; flags: Set<string>; modseq?: bigint }> = [];
    client.on('expunge', (e) => vanished.push(e));
    client.on('flags', (e) => changed.push(e));
    const reopened = await client.mailboxOpen('INBOX', { uidValidity, changedSince: highestModseq } as never);
    expect(reopened.uidValidity).toBe(uidValidity);
    expect(reopened.highestModseq).toBe(highestModseq! + 3n);
    expect(vanished).toEqual([expect.objectContaining({ uid: 3, vanished: true, earlier: true })]);
    expect(changed.map((f) => f.uid).sort()).toEqual([2, 5]);
    expect([...changed.find((f) => f.uid === 2)!.flags]).toContain('\\Seen');
    const since: number[] = [];
    for await (const m of client.fetch('1:*', { uid: true, flags: true }, { uid: true, changedSince: highestModseq! })) since.push(m.uid);
    expect(since).toEqual([2, 5]);
    await client.logout();
    await stop(r, 'SIGTERM');
  }, 60_000);

  it('keeps every message acknowledged with 250 byte-exact through /raw, IMAP and POP3 after kill -9 in the middle of an SMTP load', async () => {
    const dir = tempDir();
    let r = await startCli(dir);
    const acked = new Map<string, Buffer>();
    const transport = nodemailer.createTransport({ pool: true, maxConnections: 8, maxMessages: Infinity, host: '127.0.0.1', port: r.ports.smtp, secure: false, ignoreTLS: true });
    let killed = false;
    const killAt = 150;
    const sends = Array.from({ length: 400 }, async (_, i) => {
      const raw = mail(i, 1024 + (i % 7) * 300);
      try {
        const info = await transport.sendMail({ envelope: { from: 'load@example.test', to: ['crash@example.test'] }, raw });
        const id = /queued as (\S+)/.exec(info.response)?.[1];
        if (!id) throw new Error(`no id in ${info.response}`);
        acked.set(id, raw);
        if (acked.size >= killAt && !killed) {
          killed = true;
          r.child.kill('SIGKILL');
        }
      } catch {
        // Refused or cut off by the kill: never acknowledged, so the sandbox owes nothing for it.
      }
    });
    await Promise.all(sends);
    transport.close();
    expect(killed).toBe(true);
    expect(acked.size).toBeGreaterThanOrEqual(killAt);

    r = await startCli(dir);
    for (const [id, raw] of acked) {
      const res = await fetch(`${r.url}/api/v1/messages/${id}/raw`);
      expect(res.status, id).toBe(200);
      expect(sha(Buffer.from(await res.arrayBuffer())), id).toBe(sha(raw));
    }
    const wanted = new Set([...acked.values()].map(sha));
    const client = imap(r, 'crash@example.test');
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    const overImap = new Set<string>();
    for await (const m of client.fetch('1:*', { source: true })) overImap.add(sha(m.source!));
    lock.release();
    await client.logout();
    for (const h of wanted) expect(overImap.has(h)).toBe(true);
    const box = pop3(r, 'crash@example.test');
    const list = (await box.LIST()) as string[][];
    const overPop3 = new Set<string>();
    for (const [n] of list) {
      // node-pop3 cuts the CRLF before the terminating dot; dot-unstuff and put it back.
      const wire = (await box.RETR(Number(n))) as string;
      overPop3.add(sha(Buffer.from(wire.replace(/^\.\./gm, '.') + '\r\n', 'latin1')));
    }
    await box.QUIT();
    for (const h of wanted) expect(overPop3.has(h)).toBe(true);
    await stop(r, 'SIGTERM');
  }, 120_000);

  it.skipIf(!process.env.CI && spawnSync('which', ['mbsync']).status !== 0)('lets mbsync re-sync after a restart without downloading anything again [needs isync]', async () => {
    const dir = tempDir();
    let r = await startCli(dir);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: r.ports.smtp, secure: false, ignoreTLS: true });
    for (let i = 0; i < 3; i++) await transport.sendMail({ envelope: { from: 'a@example.test', to: ['mb@example.test'] }, raw: mail(i, 400) });
    const work = tempDir();
    const maildir = join(work, 'maildir');
    mkdirSync(maildir); // mbsync creates the folders, not the store's root
    const rc = (port: number) =>
      [
        'IMAPAccount sandbox',
        'Host 127.0.0.1',
        `Port ${port}`,
        'User mb@example.test',
        'Pass anything',
        'SSLType None',
        'AuthMechs LOGIN',
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
    const sync = (port: number) => {
      writeFileSync(join(work, 'mbsyncrc'), rc(port));
      const res = spawnSync('mbsync', ['-V', '-c', join(work, 'mbsyncrc'), 'inbox'], { encoding: 'utf8', timeout: 30_000 });
      if (res.status !== 0) throw new Error(`mbsync failed: ${res.stdout} ${res.stderr}`);
      return res.stdout + res.stderr;
    };
    sync(r.ports.imap);
    const first = readdirSync(join(maildir, 'INBOX', 'new'));
    expect(first).toHaveLength(3);
    const state = readFileSync(join(maildir, 'INBOX', '.mbsyncstate'), 'utf8');

    await stop(r, 'SIGTERM');
    r = await startCli(dir);
    const out = sync(r.ports.imap);
    // Same UIDVALIDITY: mbsync keeps its state (a new one makes it refuse or re-download); nothing new arrives.
    expect(out).not.toMatch(/UIDVALIDITY of far side changed|lost track/i);
    expect(readdirSync(join(maildir, 'INBOX', 'new')).sort()).toEqual(first.sort());
    expect(readFileSync(join(maildir, 'INBOX', '.mbsyncstate'), 'utf8').split('\n')[0]).toBe(state.split('\n')[0]);
    transport.close();
    await stop(r, 'SIGTERM');
  }, 90_000);
});

describe('the durable store: lock, layout and damaged files', () => {
  it('refuses a second sandbox on the same directory with a clear error, and lets one start after the first stopped', async () => {
    const dir = tempDir();
    const first = await startCli(dir);
    const second = spawnSync(process.execPath, [cliPath, ...allZero, '--data-dir', dir], { encoding: 'utf8', timeout: 30_000 });
    expect(second.status).not.toBe(0);
    expect(second.stderr).toContain(`Another mailsandbox is using the data directory ${dir}`);
    await expect(createSandbox({ dataDir: dir, ...offPorts })).rejects.toThrow(/Another mailsandbox is using the data directory/);
    // kill -9: the OS drops the lock with the process; nothing is left to clean up by hand.
    await stop(first, 'SIGKILL');
    const sandbox = await createSandbox({ dataDir: dir, ...offPorts });
    expect(sandbox.info().store).toEqual({ kind: 'sqlite', path: dir });
    await sandbox.close();
  }, 60_000);

  it('opens a data directory written by layout 1 and migrates it in place, keeping every message, flag and UID', async () => {
    const dir = tempDir();
    copyFileSync(fixture, join(dir, 'mailsandbox.db'));
    const sandbox = await createSandbox({ dataDir: dir, ...offPorts });
    const store = sandbox.store;
    expect(store.size).toBe(2);
    const a = store.get('fixture-a')!;
    expect(a.raw.toString()).toContain('Body of first');
    expect(store.placementsOf(a).map((p) => `${p.mailbox}/${p.folder.name}:${p.uid}:${[...p.flags].sort().join(',')}`).sort()).toEqual([
      'ann@example.test/INBOX:1:$Label1,\\Seen',
      'ann@example.test/Projects/2026:1:$Label1,\\Seen',
      'cid@example.test/INBOX:1:',
    ]);
    expect(store.get('fixture-b')!.tags).toEqual(['fixture', 'kept']);
    expect(store.getFolder('ann@example.test', 'INBOX')!.uidNext).toBe(3);
    const m = await sandbox.deliver('Subject: after\r\n\r\nx\r\n', { to: 'ann@example.test' });
    expect(store.placementsOf(store.get(m.id)!)[0].uid).toBe(3);
    await sandbox.close();
    const db = new Database(join(dir, 'mailsandbox.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(layoutVersion);
    db.close();
  });

  it('migrates a layout-2 file in place: MODSEQs start above any the old build gave out, then are kept exactly', async () => {
    const dir = tempDir();
    copyFileSync(fixture2, join(dir, 'mailsandbox.db'));
    // Layout 2 restarted MODSEQs at the clock in microseconds at every start: the migration starts above that.
    const startedAt = Date.now() * 1000;
    let sandbox = await createSandbox({ dataDir: dir, ...offPorts });
    let inbox = sandbox.store.getFolder('ann@example.test', 'INBOX')!;
    expect(inbox.placements.map((p) => `${p.uid}:${p.message.id}:${[...p.flags].sort().join(',')}`)).toEqual(['1:fixture-a:$Label1,\\Seen', '3:fixture-c:\\Flagged']);
    expect(sandbox.store.get('fixture-b')).toBeUndefined();
    const base = inbox.highestModseq;
    expect(base).toBeGreaterThanOrEqual(startedAt);
    expect(inbox.placements.map((p) => p.modseq)).toEqual([base, base]);
    // What layout 2 expunged is not known: it counts as forgotten (VANISHED (EARLIER) answers conservatively).
    expect(inbox.vanished).toEqual({ uids: [], modseqs: [], floor: base });
    sandbox.store.setFlags([inbox.placements[0]], ['\\Answered'], 'add');
    sandbox.store.removePlacements([inbox.placements[1]]);
    await sandbox.close();
    sandbox = await createSandbox({ dataDir: dir, ...offPorts });
    inbox = sandbox.store.getFolder('ann@example.test', 'INBOX')!;
    expect(inbox.highestModseq).toBe(base + 2);
    expect(inbox.placements.map((p) => [p.uid, p.modseq])).toEqual([[1, base + 1]]);
    expect(inbox.vanished).toEqual({ uids: [3], modseqs: [base + 2], floor: base });
    await sandbox.close();
    const db = new Database(join(dir, 'mailsandbox.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(layoutVersion);
    db.close();
  });

  it('migrates a layout-3 file in place: mail, flags and MODSEQs stay exactly, and fault rules are kept from then on', async () => {
    const dir = tempDir();
    copyFileSync(fixture3, join(dir, 'mailsandbox.db'));
    let sandbox = await createSandbox({ dataDir: dir, ...offPorts });
    let inbox = sandbox.store.getFolder('ann@example.test', 'INBOX')!;
    // As scripts/make-durable-fixture-3.mjs left it: fixture-d delivered and flagged by the layout-3 store.
    expect(inbox.placements.map((p) => `${p.uid}:${p.message.id}:${[...p.flags].sort().join(',')}`)).toEqual(['1:fixture-a:$Label1,\\Seen', '3:fixture-c:\\Flagged', '4:fixture-d:\\Answered']);
    const [a, c, d] = inbox.placements.map((p) => p.modseq);
    expect(a).toBe(c);
    expect(d).toBe(a + 2);
    expect(inbox.highestModseq).toBe(d);
    expect(inbox.uidNext).toBe(5);
    expect(sandbox.store.get('fixture-d')!.raw.toString()).toContain('Body of fourth');
    expect(await sandbox.faults.list()).toEqual([]);
    const rule = await sandbox.faults.add({ protocol: 'imap', on: 'FETCH', action: 'reply', reply: 'NO [UNAVAILABLE] busy', times: 1 });
    await sandbox.close();
    const db = new Database(join(dir, 'mailsandbox.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(layoutVersion);
    db.close();
    sandbox = await createSandbox({ dataDir: dir, ...offPorts });
    inbox = sandbox.store.getFolder('ann@example.test', 'INBOX')!;
    expect(inbox.placements.map((p) => p.modseq)).toEqual([a, c, d]);
    expect((await sandbox.faults.list()).map((r) => r.id)).toEqual([rule.id]);
    await sandbox.close();
  });

  it('refuses a file of a newer layout, naming both versions, and leaves it untouched', async () => {
    const dir = tempDir();
    copyFileSync(fixture, join(dir, 'mailsandbox.db'));
    const db = new Database(join(dir, 'mailsandbox.db'));
    db.pragma('user_version = 99');
    db.close();
    const before = sha(readFileSync(join(dir, 'mailsandbox.db')));
    const err = await createSandbox({ dataDir: dir, ...offPorts }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String(err)).toContain(`layout version 99, newer than this mailsandbox understands (${layoutVersion})`);
    expect(sha(readFileSync(join(dir, 'mailsandbox.db')))).toBe(before);
  });

  it.each([
    ['overwritten with garbage', (file: string) => writeFileSync(file, Buffer.alloc(64 * 1024, 'garbage!'))],
    ['truncated to half', (file: string) => truncateSync(file, Math.floor(statSync(file).size / 2))],
  ])('never starts empty on a file %s: a clear error names the file', async (_name, damage) => {
    const dir = tempDir();
    const sandbox = await createSandbox({ dataDir: dir, ...offPorts });
    for (let i = 0; i < 50; i++) await sandbox.deliver(mail(i, 4000), { to: 'ann@example.test' });
    await sandbox.close();
    const file = join(dir, 'mailsandbox.db');
    damage(file);
    const res = spawnSync(process.execPath, [cliPath, ...allZero, '--data-dir', dir], { encoding: 'utf8', timeout: 30_000 });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain(file);
    expect(res.stderr).toMatch(/damaged|not a (readable )?mailsandbox database/);
  });
});

const offPorts = {
  smtp: { port: false },
  submission: { port: false },
  smtps: { port: false },
  pop3: { port: false },
  pop3s: { port: false },
  imap: { port: false },
  imaps: { port: false },
  http: { port: false },
  logLevel: 'silent',
} as const;
