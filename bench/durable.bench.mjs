// Durable store benchmark (`npm run bench -- durable`, issue #12): every figure beside the in-memory one from the same
// run. Servers run in child processes (bench/lib/server-process.mjs); the data directories are temp dirs on the
// machine's disk.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapFlow } from 'imapflow';
import { ensureBuilt } from './lib/build.mjs';
import { startServerProcess } from './lib/server-process.mjs';
import { makeDataPayload, runReused } from './lib/smtp-client.mjs';
import { fmt, markdownTable } from './lib/stats.mjs';

const KB = 1024;
const off = { smtps: { port: false }, submission: { port: false }, pop3: { port: false }, pop3s: { port: false }, imaps: { port: false } };
const base = { smtp: { port: 0 }, imap: { port: 0 }, http: { port: 0 }, ...off, maxMessages: 0, maxSize: 0 };
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dirs = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailsandbox-bench-durable-'));
  dirs.push(d);
  return d;
};

/**
 * SMTP ingest rate (best of 2 rounds, a clear between them), one server process per store; `cpu` is the server
 * process's CPU (all its threads: the checkpointer too) per message in that round, in µs, which the load of other
 * processes on the machine disturbs less than the rate.
 */
async function ingest(size, messages, stores) {
  const out = {};
  for (const [name, options] of Object.entries(stores)) {
    const server = await startServerProcess('sandbox', { ...base, ...options });
    let best = { rate: 0, cpu: 0 };
    for (let r = 0; r < 2; r++) {
      const before = (await server.call('rss')).cpuMicros;
      const res = await runReused({ port: server.ports.smtp, connections: 8, messages, payload: makeDataPayload(size, `durable ${size}`) });
      const cpu = ((await server.call('rss')).cpuMicros - before) / messages;
      if (res.rate > best.rate) best = { rate: res.rate, cpu };
      await server.call('clear');
    }
    out[name] = best;
    await server.stop();
  }
  return out;
}

const ingestRow = (what, r, extra = '') => [
  what,
  `${fmt(r.memory.rate)} (${fmt(r.memory.cpu)} µs CPU/msg)`,
  `${fmt(r.sqlite.rate)} (${fmt(r.sqlite.cpu)} µs CPU/msg)${extra}`,
  `${fmt(r.sqlite.rate / r.memory.rate, 2)} × (CPU ${fmt(r.sqlite.cpu / r.memory.cpu, 2)} ×)`,
  '≥ 0.5 ×',
];

/** Starts the CLI on `args`, resolves with ms until /healthz answers 200 and the process (for RSS) once it does. */
async function timeToHealthy(args) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, '--ports', '0', '--log-level', 'warn', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).ui);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  for (;;) {
    const res = await fetch(`${url}/healthz`).catch(() => null);
    if (res?.ok) break;
  }
  return { ms: performance.now() - t0, child, url };
}

function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

async function stopChild(child) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** `UID FETCH 1:* BODY.PEEK[]` of the whole INBOX with imapflow: MB/s. */
async function fetchAll(port, user) {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass: 'x' }, logger: false });
  await client.connect();
  const lock = await client.getMailboxLock('INBOX');
  let bytes = 0;
  const t0 = performance.now();
  for await (const m of client.fetch('1:*', { uid: true, source: true }, { uid: true })) bytes += m.source.length;
  const s = (performance.now() - t0) / 1000;
  lock.release();
  await client.logout();
  return { mbps: bytes / 1024 / 1024 / s, bytes };
}

export default async function run() {
  ensureBuilt();
  const rows = [];
  try {
    const small = await ingest(KB, 20_000, { memory: {}, sqlite: { dataDir: tempDir() }, 'sqlite --fsync full': { dataDir: tempDir(), fsync: 'full' } });
    rows.push(ingestRow('1 KB × 20,000 over 8 connections (msg/s)', small, `; fsync full: ${fmt(small['sqlite --fsync full'].rate)}`));
    const large = await ingest(100 * KB, 2_000, { memory: {}, sqlite: { dataDir: tempDir() } });
    rows.push(ingestRow('100 KB × 2,000 over 8 connections (msg/s)', large));
    // DURABLE_BENCH=ingest: only the two ingest rows (a shorter run, ~1 min on a quiet machine).
    if (process.env.DURABLE_BENCH === 'ingest') return table(rows);

    // 100,000 × 1 KB stored in a data dir (straight into the store), then the CLI restarted on it.
    const dir = tempDir();
    const loader = await startServerProcess('sandbox', { ...base, dataDir: dir });
    await loader.call('preload', { count: 100_000, size: KB });
    await loader.stop();
    const fileMiB = statSync(join(dir, 'mailsandbox.db')).size / 1024 / 1024;
    const emptyMem = await timeToHealthy([]);
    const emptyRss = rssOf(emptyMem.child.pid);
    await stopChild(emptyMem.child);
    const emptyDisk = await timeToHealthy(['--data-dir', tempDir()]);
    const emptyDiskRss = rssOf(emptyDisk.child.pid);
    await stopChild(emptyDisk.child);
    const full = await timeToHealthy(['--data-dir', dir, '--max-messages', '0', '--max-size', '0']);
    rows.push(['restart with 100,000 messages stored, to /healthz 200', `${fmt(emptyMem.ms)} ms (empty, in memory)`, `${fmt(full.ms)} ms (empty data dir: ${fmt(emptyDisk.ms)} ms)`, '', '≤ 3 s']);
    const perMessage = (rssOf(full.child.pid) - emptyDiskRss) / 100_000;
    rows.push(['RSS with 100,000 × 1 KB stored, per message above an empty store', `(empty: ${fmt(emptyRss / 1024 / 1024)} MiB)`, `${fmt(perMessage)} bytes (file ${fmt(fileMiB)} MiB)`, '', '≤ 1 KB']);
    const pages = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const res = await fetch(`${full.url}/api/v1/messages?limit=50`);
      await res.json();
      pages.push(performance.now() - t0);
    }
    pages.sort((a, b) => a - b);
    rows.push(['first page of GET /api/v1/messages with 100,000 stored (median of 20)', '', `${fmt(pages[10], 1)} ms`, '', '≤ 20 ms']);
    await stopChild(full.child);

    // 10,000 × 1 KB in one INBOX over SMTP; in memory vs a data dir restarted (cold body cache).
    const memory = await startServerProcess('sandbox', base);
    await runReused({ port: memory.ports.smtp, connections: 8, messages: 10_000, payload: makeDataPayload(KB, 'fetch') });
    const memFetch = await fetchAll(memory.ports.imap, 'ann@example.test');
    await memory.stop();
    const fdir = tempDir();
    const disk = await startServerProcess('sandbox', { ...base, dataDir: fdir });
    await runReused({ port: disk.ports.smtp, connections: 8, messages: 10_000, payload: makeDataPayload(KB, 'fetch') });
    await disk.stop();
    const cold = await startServerProcess('sandbox', { ...base, dataDir: fdir });
    const diskFetch = await fetchAll(cold.ports.imap, 'ann@example.test');
    await cold.stop();
    rows.push(['UID FETCH 1:* BODY.PEEK[] of 10,000 messages, cold cache (MB/s)', fmt(memFetch.mbps, 1), fmt(diskFetch.mbps, 1), `${fmt(diskFetch.mbps / memFetch.mbps, 2)} ×`, '≥ 0.5 ×']);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return table(rows);
}

function table(rows) {
  return `## Durable store (--data-dir, SQLite) vs in memory\n\nSame run, same machine; ingest rates are the best of 2 rounds.\n\n${markdownTable(['what', 'in memory', '--data-dir', 'ratio', 'target'], rows)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
