// IMAP throughput: one client against a folder of 10,000 messages (FETCH of UID FLAGS ENVELOPE BODYSTRUCTURE,
// UID FETCH of every BODY.PEEK[]) and of 100,000 small ones (SEARCH BODY <word>), next to the same client reading
// the same number of bytes from a plain TCP server (the ceiling).
//
//   npm run bench -- imap        or        node --expose-gc bench/imap.bench.mjs
//
// Client, sandbox and ceiling share one process (as in the POP3 bench), so each competes with the same client.
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, importDist } from './lib/build.mjs';
import { fmt, markdownTable, rssMiB } from './lib/stats.mjs';

const FETCH_MESSAGES = 10_000;
const SEARCH_MESSAGES = 100_000;
const USER = 'bench@example.test';
const SEARCH_USER = 'search@example.test';

/** Deterministic messages of 1-8 KB, some multipart, so ENVELOPE and BODYSTRUCTURE have work to do. */
function makeMessage(i) {
  const head = [`From: Sender ${i % 97} <sender${i % 97}@example.test>`, `To: ${USER}`, `Cc: cc${i % 13}@example.test`, `Subject: message ${i}`, `Date: Mon, 01 Jan 2024 10:00:00 +0000`, `Message-ID: <${i}@bench.example.test>`, 'MIME-Version: 1.0'];
  const text = Array.from({ length: 12 + ((i * 7919) % 90) }, (_, n) => `Line ${n} of message ${i}: ${'lorem ipsum '.repeat(5)}`).join('\r\n');
  if (i % 3 !== 0) return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n'));
  const parts = ['--b', 'Content-Type: text/plain; charset=utf-8', '', text, '--b', 'Content-Type: application/octet-stream; name="a.bin"', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="a.bin"', '', 'QUJDREVGR0g='.repeat(6), '--b--', ''];
  return Buffer.from([...head, 'Content-Type: multipart/mixed; boundary="b"', '', ...parts].join('\r\n'));
}

/** Small messages for the search run; every 1000th contains the word searched for. */
function makeSmallMessage(i) {
  const word = i % 1000 === 7 ? 'needle' : 'straw';
  return Buffer.from(`From: s${i % 50}@example.test\r\nTo: ${SEARCH_USER}\r\nSubject: small ${i}\r\n\r\nJust a ${word} in message ${i}.\r\n`);
}

/** A raw IMAP client: sends a tagged command, counts bytes until the tagged completion. */
class BenchImap {
  constructor(socket) {
    this.socket = socket;
    this.tail = '';
    this.bytes = 0;
    this.waiter = null;
    socket.on('data', (chunk) => {
      this.bytes += chunk.length;
      // Only the end of the stream matters: the completion is the last line of the response.
      this.tail = (this.tail + chunk.toString('latin1', Math.max(0, chunk.length - 200))).slice(-200);
      if (this.waiter && this.waiter.pattern.test(this.tail)) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve();
      }
    });
  }

  static async open(port) {
    const socket = connect(port, '127.0.0.1');
    const client = new BenchImap(socket);
    await client.until(/^\* OK.*\r\n$/m);
    return client;
  }

  until(pattern) {
    return new Promise((resolve) => {
      this.waiter = { pattern, resolve };
      if (pattern.test(this.tail)) {
        this.waiter = null;
        resolve();
      }
    });
  }

  /** Runs one command; resolves with { ms, bytes } of its response. */
  async run(tag, command) {
    const startBytes = this.bytes;
    // A completion is recognised as a line of its own; the first line of a response follows this CRLF.
    this.tail = '\r\n';
    const started = performance.now();
    const done = this.until(new RegExp(`\\r\\n${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n$`));
    this.socket.write(`${tag} ${command}\r\n`);
    await done;
    if (!/ OK/.test(this.tail.slice(this.tail.lastIndexOf(`\r\n${tag} `)))) throw new Error(`${command}: ${this.tail}`);
    return { ms: performance.now() - started, bytes: this.bytes - startBytes };
  }

  close() {
    this.socket.destroy();
  }
}

/** The ceiling: a plain TCP server that writes `bytes` bytes in 64 KiB chunks (with backpressure) to each client. */
async function plainTcpRead(bytes) {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = createServer((socket) => {
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const started = performance.now();
  await new Promise((resolve, reject) => {
    let got = 0;
    const socket = connect(server.address().port, '127.0.0.1');
    socket.on('data', (d) => (got += d.length));
    socket.on('end', () => (got === bytes ? resolve() : reject(new Error(`got ${got} of ${bytes}`))));
    socket.on('error', reject);
  });
  const ms = performance.now() - started;
  await new Promise((resolve) => server.close(resolve));
  return ms;
}

const row = (what, count, { ms, bytes }, ceilingMs) => [
  what,
  fmt(count),
  fmt(ms),
  fmt((count / ms) * 1000),
  fmt(bytes / 1024 / 1024, 1),
  fmt(bytes / 1024 / 1024 / (ms / 1000), 1),
  ceilingMs === undefined ? '—' : `${fmt(ceilingMs)} ms (${fmt(bytes / 1024 / 1024 / (ceilingMs / 1000), 0)} MB/s)`,
];

export default async function run() {
  ensureBuilt();
  const { createSandbox } = await importDist('index.js');
  const sandbox = await createSandbox({
    smtp: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imaps: { port: false }, http: { port: false },
    imap: { port: 0 }, logLevel: 'silent', maxMessages: 0,
  });
  try {
    let seedStart = performance.now();
    for (let i = 0; i < FETCH_MESSAGES; i++) await sandbox.deliver(makeMessage(i), { to: USER });
    const seedFetchMs = performance.now() - seedStart;
    const rows = [];
    const client = await BenchImap.open(sandbox.ports.imap);
    await client.run('L', `LOGIN ${USER} x`);
    rows.push(row('SELECT (10,000)', FETCH_MESSAGES, await client.run('S', 'SELECT INBOX')));
    const cold = await client.run('F1', 'FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE)');
    rows.push(row('FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE), first (parses MIME)', FETCH_MESSAGES, cold, await plainTcpRead(cold.bytes)));
    const warm = await client.run('F2', 'FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE)');
    rows.push(row('same again (MIME trees cached)', FETCH_MESSAGES, warm, await plainTcpRead(warm.bytes)));
    const bodies = await client.run('F3', 'UID FETCH 1:* BODY.PEEK[]');
    rows.push(row('UID FETCH 1:* BODY.PEEK[]', FETCH_MESSAGES, bodies, await plainTcpRead(bodies.bytes)));
    client.close();

    seedStart = performance.now();
    for (let i = 0; i < SEARCH_MESSAGES; i++) await sandbox.deliver(makeSmallMessage(i), { to: SEARCH_USER });
    const seedSearchMs = performance.now() - seedStart;
    const searcher = await BenchImap.open(sandbox.ports.imap);
    await searcher.run('L', `LOGIN ${SEARCH_USER} x`);
    rows.push(row('SELECT (100,000)', SEARCH_MESSAGES, await searcher.run('S', 'SELECT INBOX')));
    rows.push(row('SEARCH BODY needle (decodes every body)', SEARCH_MESSAGES, await searcher.run('Q1', 'SEARCH BODY needle')));
    rows.push(row('SEARCH BODY needle again (text cached)', SEARCH_MESSAGES, await searcher.run('Q2', 'SEARCH BODY needle')));
    rows.push(row('UID SEARCH FROM s7 NOT SEEN', SEARCH_MESSAGES, await searcher.run('Q3', 'UID SEARCH FROM s7 NOT SEEN')));
    searcher.close();
    const rss = rssMiB();
    return [
      '## IMAP',
      '',
      `One client over loopback; sandbox, client and ceiling in one process. Folder of ${fmt(FETCH_MESSAGES)} messages of 1-8 KB`,
      `(a third multipart; seeded with \`sandbox.deliver\` in ${fmt(seedFetchMs)} ms) and one of ${fmt(SEARCH_MESSAGES)} messages of ~100 B`,
      `(seeded in ${fmt(seedSearchMs)} ms). "Ceiling" is the same client reading the same number of bytes from a plain TCP server.`,
      '',
      markdownTable(['command', 'messages', 'ms', 'messages/s', 'MB sent', 'MB/s', 'ceiling (same bytes, plain TCP)'], rows),
      '',
      `Process RSS after the run: ${fmt(rss)} MiB (${fmt(FETCH_MESSAGES + SEARCH_MESSAGES)} messages stored, MIME trees and search text cached).`,
      '',
    ].join('\n');
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await run());
}
