// SMTP ingest benchmark (`npm run bench -- smtp`). Servers run in child processes (bench/lib/server-process.mjs);
// this process is the load generator, a pipelining-free client over raw sockets (bench/lib/smtp-client.mjs).
// Every case runs against the sandbox and against a discard-only SMTP sink, in the same run, as the ceiling.
import { ensureBuilt } from './lib/build.mjs';
import { startServerProcess } from './lib/server-process.mjs';
import { makeDataPayload, runOneShot, runReused } from './lib/smtp-client.mjs';
import { fmt, latencySummary, markdownTable, percentile } from './lib/stats.mjs';

const KB = 1024;
const MiB = 1024 * 1024;

const cases = [
  { name: '1 KB × 20,000, 8 connections', size: KB, messages: 20_000, connections: 8 },
  { name: '1 KB × 20,000, 1 connection', size: KB, messages: 20_000, connections: 1 },
  { name: '1 KB × 5,000, one connection per message, 8 senders', size: KB, messages: 5_000, oneShot: 8 },
  { name: '100 KB × 2,000, 8 connections', size: 100 * KB, messages: 2_000, connections: 8 },
  { name: '1 MB × 200, 8 connections', size: MiB, messages: 200, connections: 8 },
];

const sandboxOptions = { smtp: { port: 0 }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false }, maxMessages: 0 };

function runCase(port, c) {
  const payload = makeDataPayload(c.size, c.name);
  return c.oneShot
    ? runOneShot({ port, concurrency: c.oneShot, messages: c.messages, payload })
    : runReused({ port, connections: c.connections, messages: c.messages, payload });
}

/** Runs every case against a fresh server of `kind`; memory is read after the cases that fill a fresh store. */
async function runAll(kind) {
  const results = [];
  let server = null;
  for (const c of cases) {
    // A fresh process for the first 1 KB case and the first 100 KB case, so RSS per message starts from a clean heap.
    if (!server || c === cases[0] || c === cases[3]) {
      await server?.stop();
      server = await startServerProcess(kind, sandboxOptions);
    }
    const before = await server.call('rss');
    const result = await runCase(server.ports.smtp, c);
    const after = await server.call('rss');
    const count = after.stored - before.stored;
    results.push({ ...result, rssDelta: after.rss - before.rss, stored: count, cpuPerMessage: (after.cpuMicros - before.cpuMicros) / count, payloadSize: makeDataPayload(c.size).length - 3 });
    if (kind === 'sandbox') await server.call('clear');
  }
  await server.stop();
  return results;
}

async function startupRss() {
  const server = await startServerProcess('sandbox', { maxMessages: 0 });
  const { rss } = await server.call('rss');
  await server.stop();
  return rss / MiB;
}

/** Ingest rate (1 KB × 10,000 over 8 connections) with 1,000 and then 100,000 messages already stored, and GET latency. */
async function fullStore() {
  const server = await startServerProcess('sandbox', { ...sandboxOptions, http: { port: 0 } });
  const payload = makeDataPayload(KB);
  // Server CPU per message is measured too: on a busy machine it is a steadier comparison than msg/s.
  const measure = async () => {
    const before = await server.call('rss');
    const { rate } = await runReused({ port: server.ports.smtp, connections: 8, messages: 10_000, payload });
    const after = await server.call('rss');
    return { rate, cpu: (after.cpuMicros - before.cpuMicros) / 10_000 };
  };
  await server.call('preload', { count: 1_000, size: KB });
  const small = await measure();
  const { stored } = await server.call('preload', { count: 100_000 - 11_000, size: KB });
  const large = await measure();
  const firstPage = await timeFirstPage(server.url);
  await server.stop();
  return { smallRate: small.rate, largeRate: large.rate, smallCpu: small.cpu, largeCpu: large.cpu, storedAtLarge: stored, firstPage };
}

/** Median ms of `GET /api/v1/messages` (first page) over 7 requests, or null when the endpoint doesn't answer JSON. */
async function timeFirstPage(url) {
  if (!url) return null;
  const times = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    const res = await fetch(`${url}/api/v1/messages?limit=50`).catch(() => null);
    if (!res || !res.ok) return null;
    const body = await res.json().catch(() => null);
    if (!body || !Array.isArray(body.messages)) return null;
    times.push(performance.now() - start);
  }
  return percentile(times, 50);
}

export default async function run() {
  ensureBuilt();
  const sink = await runAll('sink');
  const sandbox = await runAll('sandbox');
  const startup = await startupRss();
  const full = await fullStore();

  const rows = cases.map((c, i) => {
    const s = sandbox[i];
    const lat = latencySummary(s.latencies);
    return [c.name, fmt(s.rate), fmt(lat.p50, 2), fmt(lat.p99, 2), fmt(sink[i].rate), fmt(s.rate / sink[i].rate, 2), fmt(s.cpuPerMessage), fmt(sink[i].cpuPerMessage), fmt(sink[i].cpuPerMessage / s.cpuPerMessage, 2)];
  });
  const mem1k = sandbox[0].rssDelta / sandbox[0].stored;
  const mem100k = sandbox[3].rssDelta / (sandbox[3].stored * sandbox[3].payloadSize);
  const p99 = percentile(sandbox[0].latencies, 99);
  const check = (ok) => (ok ? 'yes' : '**no**');
  const targets = [
    ['1 KB, 8 connections, ratio to sink', '≥ 0.35×', fmt(sandbox[0].rate / sink[0].rate, 2) + '×', check(sandbox[0].rate / sink[0].rate >= 0.35)],
    ['100 KB, 8 connections', '≥ 900 msg/s', fmt(sandbox[3].rate), check(sandbox[3].rate >= 900)],
    ['one connection per message, 8 senders', '≥ 800 msg/s', fmt(sandbox[2].rate), check(sandbox[2].rate >= 800)],
    ['p99 transaction latency, 1 KB, 8 connections', '≤ 10 ms', fmt(p99, 2) + ' ms', check(p99 <= 10)],
    ['RSS per stored 1 KB message', '≤ 3 KB', fmt(mem1k / KB, 2) + ' KB', check(mem1k <= 3 * KB)],
    ['RSS per stored 100 KB message, ratio to its size', '≤ 1.3×', fmt(mem100k, 2) + '×', check(mem100k <= 1.3)],
    ['start-up RSS, every listener on', '< 100 MiB', fmt(startup, 1) + ' MiB', check(startup < 100)],
    [`ingest with ${fmt(full.storedAtLarge)} stored vs 1,000 stored (msg/s)`, '≥ 90%', fmt((full.largeRate / full.smallRate) * 100, 0) + '%', check(full.largeRate / full.smallRate >= 0.9)],
    [`the same, by server CPU per message`, '≥ 90%', fmt((full.smallCpu / full.largeCpu) * 100, 0) + '%', check(full.smallCpu / full.largeCpu >= 0.9)],
    [
      `first page of GET /api/v1/messages, ${fmt(full.storedAtLarge)} stored`,
      '< 20 ms',
      full.firstPage === null ? 'n/a' : fmt(full.firstPage, 2) + ' ms',
      full.firstPage === null ? 'n/a (no HTTP API)' : check(full.firstPage < 20),
    ],
  ];
  return [
    '## SMTP ingest',
    '',
    'Load generator: a pipelining-free client over raw sockets (bench/lib/smtp-client.mjs); each server runs in its own',
    'child process. "sink" is a discard-only SMTP server (bench/lib/sink.mjs) measured in the same run: the ceiling.',
    'Latency is per transaction (MAIL FROM to the 250 after DATA; per whole connection in the one-connection case).',
    'Server CPU per message (user + system time of the server process) holds up better than msg/s when the machine is busy.',
    '',
    markdownTable(['case', 'msg/s', 'p50 ms', 'p99 ms', 'sink msg/s', 'ratio to sink', 'server CPU µs/msg', 'sink CPU µs/msg', 'CPU ratio (sink/sandbox)'], rows),
    '',
    markdownTable(['target', 'goal', 'measured', 'met'], targets),
    '',
    `Ingest, 1 KB × 10,000 over 8 connections: ${fmt(full.smallRate)} msg/s and ${fmt(full.smallCpu)} µs server CPU per message with 1,000 stored; ` +
      `${fmt(full.largeRate)} msg/s and ${fmt(full.largeCpu)} µs with ${fmt(full.storedAtLarge)} stored.`,
  ].join('\n');
}
