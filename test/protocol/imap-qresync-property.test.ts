import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Pop3Command from 'node-pop3';
import type { Sandbox } from '../../src/index.js';
import { RawImap } from './imap-raw-client.js';
import { RawSmtpClient } from './smtp-helpers.js';
import { imapSandbox } from './imap-helpers.js';

/**
 * A property test of QRESYNC (RFC 7162) over random interleavings of changes from every side: IMAP (STORE, COPY,
 * APPEND, UID EXPUNGE), POP3 (DELE + QUIT), REST (PATCH seen, DELETE, PUT tags) and SMTP delivery, checked against a
 * simple model of the folder. At random points a client that last synced at some HIGHESTMODSEQ reselects with
 * `SELECT INBOX (QRESYNC (uidvalidity modseq))` and must be told exactly what changed: the VANISHED (EARLIER) set is
 * every UID expunged since, the FETCHes are exactly the messages changed or added since, and applying both to its
 * cache gives the folder as the model has it. The stepper is seeded (fast-check isn't a dependency): a failure
 * prints the seed and step so it can be replayed with QRESYNC_SEED.
 */
const steps = 10_000;
const seed = Number(process.env.QRESYNC_SEED ?? 0x5eed7162);
const user = 'prop@example.test';
const flagPool = ['\\Seen', '\\Flagged', '\\Answered', '$Work'];

/** mulberry32: a small, fast, seedable PRNG. */
function prng(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ModelEntry {
  messageId: string;
  flags: Set<string>;
  /** Model clock of the last change the server must report (flags, tags, arrival). */
  changedAt: number;
}

/** The folder as it should be: UIDs in order, their flags and when each last changed; expunges with their time. */
class Model {
  readonly alive = new Map<number, ModelEntry>();
  readonly expunged: Array<{ uid: number; at: number }> = [];
  nextUid = 1;
  clock = 0;

  add(messageId: string, flags: Iterable<string> = []): number {
    const uid = this.nextUid++;
    this.alive.set(uid, { messageId, flags: new Set(flags), changedAt: ++this.clock });
    return uid;
  }

  setFlags(uid: number, flags: readonly string[], mode: 'add' | 'remove'): void {
    const e = this.alive.get(uid)!;
    const before = [...e.flags].sort().join(' ');
    for (const f of flags) mode === 'add' ? e.flags.add(f) : e.flags.delete(f);
    // The server raises MODSEQ only for a real change.
    if ([...e.flags].sort().join(' ') !== before) e.changedAt = ++this.clock;
  }

  remove(uid: number): void {
    this.alive.delete(uid);
    this.expunged.push({ uid, at: ++this.clock });
  }

  uidsOf(messageId: string): number[] {
    return [...this.alive].filter(([, e]) => e.messageId === messageId).map(([uid]) => uid);
  }
}

function expand(set: string): number[] {
  const out: number[] = [];
  for (const part of set.split(',')) {
    const [a, b = a] = part.split(':').map(Number);
    for (let u = a; u <= b; u++) out.push(u);
  }
  return out;
}

const flagsText = (flags: Iterable<string>): string => [...flags].filter((f) => f !== '\\Recent').sort().join(' ');

describe('QRESYNC resync over random interleavings of IMAP, POP3, REST and SMTP changes', () => {
  let sandbox: Sandbox;
  let writer: RawImap;
  let syncer: RawImap;
  let smtp: RawSmtpClient;
  beforeAll(async () => {
    sandbox = await imapSandbox({ smtp: { port: 0 }, pop3: { port: 0 }, http: { port: 0 } });
    writer = await RawImap.connect(sandbox.ports.imap!);
    syncer = await RawImap.connect(sandbox.ports.imap!);
    smtp = await RawSmtpClient.connect(sandbox.ports.smtp as number);
    await smtp.hello();
  });
  afterAll(async () => {
    writer?.end();
    syncer?.end();
    smtp?.destroy();
    await sandbox?.close();
  });

  it(`tells a reconnecting client exactly what changed, over ${steps} random steps (seed ${seed})`, { timeout: 600_000 }, async () => {
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const model = new Model();
    const api = (path: string, init: RequestInit = {}) => fetch(`${sandbox.url}/api/v1${path}`, init);
    const lastPlacement = () => sandbox.store.getFolder(user, 'INBOX')!.placements.at(-1)!;
    let counter = 0;

    const ok = (reply: string, tag: string): void => {
      if (!new RegExp(`^${tag} OK`, 'm').test(reply)) throw new Error(`${tag} failed: ${reply.slice(-300)}`);
    };
    expect(await writer.command('w0', `LOGIN ${user} x`)).toMatch(/^w0 OK/m);
    expect(await writer.command('w1', 'SELECT INBOX')).toMatch(/^w1 OK/m);
    expect(await syncer.command('y0', `LOGIN ${user} x`)).toMatch(/^y0 OK/m);
    expect(await syncer.command('y1', 'ENABLE QRESYNC')).toMatch(/^\* ENABLED QRESYNC/m);

    // The writer can name a UID only once it was told of it (EXISTS comes with the next command's updates).
    let writerKnows = 0;
    const write = async (tag: string, line: string): Promise<void> => {
      const before = model.nextUid - 1;
      ok(await writer.command(tag, line), tag);
      writerKnows = before;
    };
    const known = async (uid: number): Promise<number> => {
      if (uid > writerKnows) await write(`n${++counter}`, 'NOOP');
      return uid;
    };
    const operations: Record<string, () => Promise<void>> = {
      async smtp() {
        const subject = `smtp ${++counter}`;
        expect(await smtp.command('MAIL FROM:<ann@example.test>')).toMatch(/^250/);
        expect(await smtp.command(`RCPT TO:<${user}>`)).toMatch(/^250/);
        expect(await smtp.command('DATA')).toMatch(/^354/);
        expect(await smtp.command(`Subject: ${subject}\r\n\r\nhi\r\n.`)).toMatch(/^250/);
        model.add(lastPlacement().message.id);
      },
      async append() {
        const flags = flagPool.filter(() => random() < 0.3);
        const body = `Subject: append ${++counter}\r\n\r\nhi\r\n`;
        const tag = `a${counter}`;
        await write(tag, `APPEND INBOX (${flags.join(' ')}) {${body.length}+}\r\n${body}`);
        model.add(lastPlacement().message.id, flags);
      },
      async store() {
        const uid = await known(pick([...model.alive.keys()]));
        const mode = random() < 0.6 ? 'add' : 'remove';
        const flags = flagPool.filter(() => random() < 0.4);
        if (flags.length === 0) flags.push(pick(flagPool));
        const tag = `s${++counter}`;
        await write(tag, `UID STORE ${uid} ${mode === 'add' ? '+' : '-'}FLAGS.SILENT (${flags.join(' ')})`);
        model.setFlags(uid, flags, mode);
      },
      async copy() {
        const uid = await known(pick([...model.alive.keys()]));
        const tag = `c${++counter}`;
        await write(tag, `UID COPY ${uid} INBOX`);
        const source = model.alive.get(uid)!;
        model.add(source.messageId, source.flags);
      },
      async expunge() {
        const uid = await known(pick([...model.alive.keys()]));
        const tag = `x${++counter}`;
        await write(`${tag}a`, `UID STORE ${uid} +FLAGS.SILENT (\\Deleted)`);
        await write(tag, `UID EXPUNGE ${uid}`);
        model.remove(uid);
      },
      async pop3() {
        const uids = [...model.alive.keys()].sort((a, b) => a - b);
        const n = 1 + Math.floor(random() * uids.length);
        const pop3 = new Pop3Command({ user, password: 'x', host: '127.0.0.1', port: sandbox.ports.pop3 as number });
        await pop3.DELE(n);
        await pop3.QUIT();
        model.remove(uids[n - 1]);
      },
      async restSeen() {
        const uid = pick([...model.alive.keys()]);
        const { messageId } = model.alive.get(uid)!;
        const seen = random() < 0.6;
        const res = await api(`/messages/${messageId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seen }) });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        for (const u of model.uidsOf(messageId)) model.setFlags(u, ['\\Seen'], seen ? 'add' : 'remove');
      },
      async restDelete() {
        const uid = pick([...model.alive.keys()]);
        const { messageId } = model.alive.get(uid)!;
        const res = await api(`/messages/${messageId}`, { method: 'DELETE' });
        expect(res.status).toBe(204);
        for (const u of model.uidsOf(messageId)) model.remove(u);
      },
      async restTags() {
        const uid = pick([...model.alive.keys()]);
        const { messageId } = model.alive.get(uid)!;
        const tags = [`t${Math.floor(random() * 3)}`];
        const before = sandbox.store.get(messageId)!.tags.join();
        const res = await api(`/messages/${messageId}/tags`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tags }) });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        // Tags are message metadata: a real change raises the MODSEQ of every copy.
        if (before !== tags.join()) for (const u of model.uidsOf(messageId)) model.alive.get(u)!.changedAt = ++model.clock;
      },
    };
    const weighted: Array<[string, number]> = [['smtp', 12], ['append', 8], ['store', 30], ['copy', 6], ['expunge', 10], ['pop3', 2], ['restSeen', 10], ['restDelete', 6], ['restTags', 4]];
    const total = weighted.reduce((n, [, w]) => n + w, 0);
    const choose = (): string => {
      const size = model.alive.size;
      if (size < 3) return pick(['smtp', 'append']);
      let r = random() * total;
      for (const [name, w] of weighted) if ((r -= w) < 0) return size > 50 && (name === 'smtp' || name === 'append' || name === 'copy') ? 'expunge' : name;
      return 'store';
    };

    // The syncing client: its cache of the folder, and the MODSEQ and model time of its last sync.
    const uidValidity = sandbox.store.ensureMailbox(user).folders.get('INBOX')!.uidValidity;
    const cache = new Map<number, string>();
    let syncedModseq = 1;
    let syncedAt = 0;
    let syncs = 0;
    const resync = async (step: number): Promise<void> => {
      const tag = `r${++syncs}`;
      const reply = await syncer.command(tag, `SELECT INBOX (QRESYNC (${uidValidity} ${syncedModseq}))`);
      ok(reply, tag);
      const where = `seed ${seed}, step ${step}, sync ${syncs}`;
      const vanished = [...reply.matchAll(/^\* VANISHED \(EARLIER\) (\S+)\r$/gm)].flatMap((m) => expand(m[1])).sort((a, b) => a - b);
      const fetched = new Map([...reply.matchAll(/^\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\) MODSEQ \(\d+\)\)\r$/gm)].map((m) => [Number(m[1]), flagsText(m[2] ? m[2].split(' ') : [])]));
      const expectVanished = model.expunged.filter((e) => e.at > syncedAt).map((e) => e.uid).sort((a, b) => a - b);
      const expectFetched = [...model.alive].filter(([, e]) => e.changedAt > syncedAt).map(([uid]) => uid).sort((a, b) => a - b);
      expect(vanished, `VANISHED (EARLIER) at ${where}`).toEqual(expectVanished);
      expect([...fetched.keys()].sort((a, b) => a - b), `FETCH at ${where}`).toEqual(expectFetched);
      for (const uid of vanished) cache.delete(uid);
      for (const [uid, flags] of fetched) cache.set(uid, flags);
      const expected = new Map([...model.alive].map(([uid, e]) => [uid, flagsText(e.flags)]));
      const differing = [...new Set([...cache.keys(), ...expected.keys()])].filter((uid) => cache.get(uid) !== expected.get(uid));
      expect(differing.map((uid) => `${uid}: client ${cache.get(uid)} model ${expected.get(uid)} store ${flagsText(sandbox.store.getFolder(user, 'INBOX')!.placements.find((p) => p.uid === uid)?.flags ?? [])}; ${reply.split('\n').filter((l) => l.includes(`UID ${uid} `)).join(' / ')}`), `client cache after resync at ${where}`).toEqual([]);
      syncedModseq = Number(/HIGHESTMODSEQ (\d+)/.exec(reply)![1]);
      syncedAt = model.clock;
      ok(await syncer.command(`${tag}u`, 'UNSELECT'), `${tag}u`);
    };

    let nextSync = 1;
    for (let step = 1; step <= steps; step++) {
      const name = choose();
      try {
        await operations[name]();
      } catch (err) {
        throw new Error(`step ${step} (${name}), seed ${seed}: ${(err as Error).message}`);
      }
      if (step >= nextSync) {
        await resync(step);
        nextSync = step + 1 + Math.floor(random() * 200);
      }
    }
    await resync(steps);
    // The store agrees with the model too: same UIDs, same flags.
    const folder = sandbox.store.getFolder(user, 'INBOX')!;
    expect(folder.placements.map((p) => [p.uid, flagsText(p.flags)])).toEqual([...model.alive].map(([uid, e]) => [uid, flagsText(e.flags)]));
    expect(syncs).toBeGreaterThan(50);
  });
});
