// QRESYNC reconnect (RFC 7162) against a full flag resync, in bytes on the wire: a client that was offline while 100
// messages of a 10,000-message folder changed flags and 50 were expunged reconnects either with
// `SELECT INBOX (QRESYNC (uidvalidity modseq))` or, without QRESYNC, with `SELECT INBOX` + `FETCH 1:* (UID FLAGS)`.
// Target (issue 18): the QRESYNC reconnect sends ≤ 5 % of the bytes of the full one. Also `FETCH 1:* (UID FLAGS)
// (CHANGEDSINCE m)`, the CONDSTORE-only resync, in the same run.
//
//   npm run bench -- qresync        or        node --expose-gc bench/qresync.bench.mjs
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, importDist } from './lib/build.mjs';
import { fmt, markdownTable } from './lib/stats.mjs';

const MESSAGES = 10_000;
const CHANGED = 100;
const EXPUNGED = 50;
const ROUNDS = 5;
const USER = 'qresync@example.test';

/** A raw IMAP client that counts the bytes of each response up to its tagged completion. */
class CountingImap {
  constructor(socket) {
    this.socket = socket;
    this.text = '';
    this.bytes = 0;
    this.waiter = null;
    socket.on('data', (chunk) => {
      this.bytes += chunk.length;
      this.text = (this.text + chunk.toString('latin1')).slice(-400);
      if (this.waiter?.pattern.test(this.text)) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve();
      }
    });
  }

  static async open(port) {
    const client = new CountingImap(connect(port, '127.0.0.1'));
    await client.until(/^\* OK.*\r\n$/m);
    return client;
  }

  until(pattern) {
    return new Promise((resolve) => {
      if (pattern.test(this.text)) return resolve();
      this.waiter = { pattern, resolve };
    });
  }

  /** One command; resolves with { ms, bytes, text } of its response (text: the last 400 characters). */
  async run(tag, command) {
    const startBytes = this.bytes;
    this.text = '\r\n';
    const started = performance.now();
    const done = this.until(new RegExp(`\\r\\n${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n$`));
    this.socket.write(`${tag} ${command}\r\n`);
    await done;
    if (!new RegExp(`\\r\\n${tag} OK`).test(this.text)) throw new Error(`${command}: ${this.text}`);
    return { ms: performance.now() - started, bytes: this.bytes - startBytes, text: this.text };
  }

  close() {
    this.socket.destroy();
  }
}

export default async function run() {
  ensureBuilt();
  const { createSandbox } = await importDist('index.js');
  const sandbox = await createSandbox({
    smtp: { port: false }, submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false },
    imaps: { port: false }, http: { port: false }, imap: { port: 0 }, logLevel: 'silent', maxMessages: 0,
  });
  try {
    for (let i = 0; i < MESSAGES; i++) {
      await sandbox.deliver(`From: s${i % 50}@example.test\r\nTo: ${USER}\r\nSubject: message ${i}\r\n\r\nBody ${i}\r\n`, { to: USER, flags: i % 2 ? ['\\Seen'] : [] });
    }
    const folder = sandbox.store.getFolder(USER, 'INBOX');
    const results = { qresync: [], condstore: [], full: [] };
    let changedSeen = 0;
    let vanishedSeen = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // The state the client last saw.
      const uidValidity = folder.uidValidity;
      const modseq = folder.highestModseq;
      // While it is away: 100 flag changes and 50 expunges spread over the folder.
      const step = Math.floor(folder.placements.length / (CHANGED + EXPUNGED));
      const picked = folder.placements.filter((_p, i) => i % step === 0).slice(0, CHANGED + EXPUNGED);
      sandbox.store.setFlags(picked.slice(0, CHANGED), [`$Round${round}`], 'add');
      sandbox.store.removePlacements(picked.slice(CHANGED));

      const q = await CountingImap.open(sandbox.ports.imap);
      await q.run('L', `LOGIN ${USER} x`);
      const qe = await q.run('E', 'ENABLE QRESYNC');
      const qs = await q.run('S', `SELECT INBOX (QRESYNC (${uidValidity} ${modseq}))`);
      q.close();
      results.qresync.push({ ms: qe.ms + qs.ms, bytes: qe.bytes + qs.bytes });

      const c = await CountingImap.open(sandbox.ports.imap);
      await c.run('L', `LOGIN ${USER} x`);
      const cs = await c.run('S', 'SELECT INBOX (CONDSTORE)');
      const cf = await c.run('F', `FETCH 1:* (UID FLAGS) (CHANGEDSINCE ${modseq})`);
      c.close();
      results.condstore.push({ ms: cs.ms + cf.ms, bytes: cs.bytes + cf.bytes });

      const f = await CountingImap.open(sandbox.ports.imap);
      await f.run('L', `LOGIN ${USER} x`);
      const fs = await f.run('S', 'SELECT INBOX');
      const ff = await f.run('F', 'FETCH 1:* (UID FLAGS)');
      f.close();
      results.full.push({ ms: fs.ms + ff.ms, bytes: fs.bytes + ff.bytes });
      changedSeen = CHANGED;
      vanishedSeen = EXPUNGED;
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const summary = (name, rs) => ({ name, bytes: median(rs.map((r) => r.bytes)), ms: median(rs.map((r) => r.ms)) });
    const full = summary('SELECT INBOX + FETCH 1:* (UID FLAGS) (full resync)', results.full);
    const rows = [
      summary('ENABLE QRESYNC; SELECT INBOX (QRESYNC (uidvalidity modseq))', results.qresync),
      summary('SELECT INBOX (CONDSTORE) + FETCH 1:* (UID FLAGS) (CHANGEDSINCE modseq)', results.condstore),
      full,
    ].map((r) => [r.name, fmt(r.bytes), `${fmt((r.bytes / full.bytes) * 100, 2)} %`, fmt(r.ms, 1), `${fmt(full.ms / r.ms, 1)}×`]);
    const ratio = median(results.qresync.map((r) => r.bytes)) / full.bytes;
    return [
      '## IMAP QRESYNC reconnect',
      '',
      `A folder of ${fmt(MESSAGES)} messages; between reconnects ${changedSeen} messages change flags and ${vanishedSeen} are`,
      `expunged (spread over the folder), ${ROUNDS} rounds, medians. Bytes are what the server sent for the resync`,
      '(ENABLE, SELECT and FETCH responses; the LOGIN and greeting are the same for all three and left out). The CONDSTORE',
      'row learns the changed flags but not which messages vanished (it would need a UID SEARCH or FETCH of all UIDs).',
      '',
      markdownTable(['reconnect', 'bytes sent', 'of the full resync', 'ms', 'speed-up'], rows),
      '',
      `QRESYNC reconnect: ${fmt(ratio * 100, 2)} % of the bytes of a full \`FETCH 1:* (UID FLAGS)\` resync (target ≤ 5 %: ${ratio <= 0.05 ? 'met' : '**not met**'}).`,
      '',
    ].join('\n');
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await run());
}
