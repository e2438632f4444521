// SMTP ingest benchmark (`npm run bench -- smtp`). Servers run in child processes (bench/lib/server-process.mjs);
// this process is the load generator, a pipelining-free client over raw sockets (bench/lib/smtp-client.mjs).
// Every case runs against the sandbox, a discard-only SMTP sink (the ceiling) and bare smtp-server keeping each
// message's bytes in an array (the floor for any server built on that library), in the same run.
import { ensureBuilt } from './lib/build.mjs';
import { startServerProcess } from './lib/server-process.mjs';
import { makeDataPayload, openClients, runOneShot, runReused } from './lib/smtp-client.mjs';
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

/** Rounds per case; each server's best round counts (see runAll). */
const ROUNDS = 3;

/** One case against a running server: the load generator's result and the server's CPU per message. */
async function measureCase(server, c) {
  const before = await server.call('rss');
  const result = await runCase(server.ports.smtp, c);
  const after = await server.call('rss');
  if (server.kind !== 'sink') await server.call('clear');
  return { ...result, cpuPerMessage: (after.cpuMicros - before.cpuMicros) / (after.stored - before.stored || c.messages) };
}

/** The servers each case runs against, in the order they alternate. */
const KINDS = ['sink', 'bare', 'sandbox'];

/**
 * Every case against the sink, bare smtp-server and the sandbox, alternating, ROUNDS times; for each server the round with the highest
 * rate counts. On a shared 2-core machine one pass mostly measures what else ran at that moment; the best of
 * interleaved rounds is the closest either server got to the machine's capacity, under comparable conditions.
 * One process per server and message size (1 KB cases, then 100 KB and 1 MB).
 */
async function runAll() {
  const best = { sink: [], bare: [], sandbox: [] };
  let servers = null;
  for (const [i, c] of cases.entries()) {
    if (!servers || c === cases[3]) {
      await Promise.all(Object.values(servers ?? {}).map((s) => s.stop()));
      servers = {};
      for (const kind of KINDS) servers[kind] = Object.assign(await startServerProcess(kind, sandboxOptions), { kind });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of KINDS) {
        const r = await measureCase(servers[kind], c);
        if (!best[kind][i] || r.rate > best[kind][i].rate) best[kind][i] = r;
      }
    }
  }
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  return best;
}

/**
 * Marginal resident memory per stored message: in a fresh server (retention off), `warmup` messages first, so that
 * the young generation, compiled code, the 8 session transcripts (capped at limits.transcriptLines) and the store's
 * indexes are not billed to the messages measured; then RSS after `count` more over the same 8 connections, after
 * two full GCs, minus RSS before them.
 */
async function memoryPerMessage(size, warmup, count) {
  const server = await startServerProcess('sandbox', sandboxOptions);
  const payload = makeDataPayload(size, `memory per stored message, ${size} bytes`);
  const clients = await openClients(server.ports.smtp, 8);
  await runReused({ clients, messages: warmup, payload });
  const before = await server.call('rss');
  await runReused({ clients, messages: count, payload });
  const after = await server.call('rss');
  await Promise.all(clients.map((c) => c.quit()));
  await server.stop();
  const stored = after.stored - before.stored;
  const per = (key) => (after[key] - before[key]) / stored;
  return { stored, size: payload.length - 3, rss: per('rss'), heap: per('heapUsed'), external: per('external') };
}

async function startupRss() {
  const server = await startServerProcess('sandbox', { maxMessages: 0 });
  const { rss } = await server.call('rss');
  await server.stop();
  return rss / MiB;
}

/**
 * Ingest (1 KB × 10,000 over 8 connections) with 1,000 and with 100,000 messages already stored, and the GET latency
 * with 100,000. The two cases alternate over 3 rounds, each from a cleared and re-filled store, and the best round
 * of each counts: on a shared machine a single pair of runs mostly measures who else was busy at the time.
 */
async function fullStore() {
  // 110,000 messages in one INBOX: past the default per-folder cap (100,000), which would refuse the last 10,000.
  const server = await startServerProcess('sandbox', { ...sandboxOptions, http: { port: 0 }, limits: { maxFolderMessages: 200_000 } });
  const payload = makeDataPayload(KB);
  const measure = async (preloaded) => {
    await server.call('clear');
    await server.call('preload', { count: preloaded, size: KB });
    const before = await server.call('rss');
    const { rate } = await runReused({ port: server.ports.smtp, connections: 8, messages: 10_000, payload });
    const after = await server.call('rss');
    return { rate, cpu: (after.cpuMicros - before.cpuMicros) / 10_000 };
  };
  const small = [];
  const large = [];
  let firstPage = null;
  for (let round = 0; round < 3; round++) {
    small.push(await measure(1_000));
    large.push(await measure(100_000));
    // Timed while 110,000 messages are stored.
    if (round === 0) firstPage = await timeFirstPage(server.url);
  }
  await server.stop();
  const best = (runs) => ({ rate: Math.max(...runs.map((r) => r.rate)), cpu: Math.min(...runs.map((r) => r.cpu)) });
  const s = best(small);
  const l = best(large);
  return { smallRate: s.rate, largeRate: l.rate, smallCpu: s.cpu, largeCpu: l.cpu, storedAtLarge: 100_000, storedAtFirstPage: 110_000, firstPage };
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

/** The target table: each goal with the figure measured in this run. */
function targetRows({ sink, bare, sandbox, mem1k, mem100k, startup, full }) {
  const mem100kRatio = mem100k.rss / mem100k.size;
  const p99 = percentile(sandbox[0].latencies, 99);
  const check = (ok) => (ok ? 'yes' : '**no**');
  const cpuToBare = bare[0].cpuPerMessage / sandbox[0].cpuPerMessage;
  return [
    ['1 KB, 8 connections, ratio to sink', '≥ 0.35×', fmt(sandbox[0].rate / sink[0].rate, 2) + '×', check(sandbox[0].rate / sink[0].rate >= 0.35)],
    ['1 KB, 8 connections, CPU per message: bare smtp-server / sandbox', '≥ 0.85×', fmt(cpuToBare, 2) + '×', check(cpuToBare >= 0.85)],
    ['100 KB, 8 connections', '≥ 900 msg/s', fmt(sandbox[3].rate), check(sandbox[3].rate >= 900)],
    ['one connection per message, 8 senders', '≥ 800 msg/s', fmt(sandbox[2].rate), check(sandbox[2].rate >= 800)],
    ['p99 transaction latency, 1 KB, 8 connections', '≤ 10 ms', fmt(p99, 2) + ' ms', check(p99 <= 10)],
    ['RSS per stored 1 KB message', '≤ 3 KB', fmt(mem1k.rss / KB, 2) + ' KB', check(mem1k.rss <= 3 * KB)],
    ['RSS per stored 100 KB message, ratio to its size', '≤ 1.3×', fmt(mem100kRatio, 2) + '×', check(mem100kRatio <= 1.3)],
    ['start-up RSS, every listener on', '< 100 MiB', fmt(startup, 1) + ' MiB', check(startup < 100)],
    [`ingest with ${fmt(full.storedAtLarge)} stored vs 1,000 stored (msg/s)`, '≥ 90%', fmt((full.largeRate / full.smallRate) * 100, 0) + '%', check(full.largeRate / full.smallRate >= 0.9)],
    [`the same, by server CPU per message`, '≥ 90%', fmt((full.smallCpu / full.largeCpu) * 100, 0) + '%', check(full.smallCpu / full.largeCpu >= 0.9)],
    [
      `first page of GET /api/v1/messages, ${fmt(full.storedAtFirstPage)} stored`,
      '< 20 ms',
      full.firstPage === null ? 'n/a' : fmt(full.firstPage, 2) + ' ms',
      full.firstPage === null ? 'n/a (no HTTP API)' : check(full.firstPage < 20),
    ],
  ];
}

function caseRows(sink, sandbox) {
  return cases.map((c, i) => {
    const s = sandbox[i];
    const lat = latencySummary(s.latencies);
    return [c.name, fmt(s.rate), fmt(lat.p50, 2), fmt(lat.p99, 2), fmt(sink[i].rate), fmt(s.rate / sink[i].rate, 2), fmt(s.cpuPerMessage), fmt(sink[i].cpuPerMessage), fmt(sink[i].cpuPerMessage / s.cpuPerMessage, 2)];
  });
}

/** The sandbox against bare smtp-server, the floor for anything built on that library. */
function bareRows(bare, sandbox) {
  return cases.map((c, i) => {
    const s = sandbox[i];
    const b = bare[i];
    return [c.name, fmt(s.rate), fmt(b.rate), fmt(s.rate / b.rate, 2), fmt(s.cpuPerMessage), fmt(b.cpuPerMessage), fmt(b.cpuPerMessage / s.cpuPerMessage, 2)];
  });
}

function memoryRows(measures) {
  return measures.map((m) => [`${fmt(m.size)} bytes × ${fmt(m.stored)}`, fmt(m.rss), fmt(m.rss / m.size, 2) + '×', fmt(m.heap), fmt(m.external)]);
}

export default async function run() {
  ensureBuilt();
  const r = await runAll();
  r.mem1k = await memoryPerMessage(KB, 4_000, 20_000);
  r.mem100k = await memoryPerMessage(100 * KB, 200, 2_000);
  r.startup = await startupRss();
  r.full = await fullStore();
  const { full } = r;
  return [
    '## SMTP ingest',
    '',
    'Load generator: a pipelining-free client over raw sockets (bench/lib/smtp-client.mjs); each server runs in its own',
    'child process. "sink" is a discard-only SMTP server (bench/lib/sink.mjs) measured in the same run: the ceiling.',
    'Latency is per transaction (MAIL FROM to the 250 after DATA; per whole connection in the one-connection case).',
    'Server CPU per message (user + system time of the server process) holds up better than msg/s when the machine is busy.',
    `Each case ran ${ROUNDS} times, alternating sink, bare smtp-server and sandbox; each row gives each server's best round (highest msg/s).`,
    '',
    markdownTable(['case', 'msg/s', 'p50 ms', 'p99 ms', 'sink msg/s', 'ratio to sink', 'server CPU µs/msg', 'sink CPU µs/msg', 'CPU ratio (sink/sandbox)'], caseRows(r.sink, r.sandbox)),
    '',
    'Against the second baseline, bare `smtp-server` keeping each message\'s bytes in an array (bench/lib/sink.mjs), the',
    'floor for any server built on that library, measured in the same rounds:',
    '',
    markdownTable(['case', 'sandbox msg/s', 'bare msg/s', 'ratio to bare', 'sandbox CPU µs/msg', 'bare CPU µs/msg', 'CPU ratio (bare/sandbox)'], bareRows(r.bare, r.sandbox)),
    '',
    'Memory per stored message (marginal: a fresh server, a warm-up of 4,000 × 1 KB or 200 × 100 KB messages over 8',
    'connections, then RSS, V8 heap and external memory before and after the measured messages, each after two GCs):',
    '',
    markdownTable(['messages stored', 'RSS bytes/msg', 'RSS / size', 'JS heap bytes/msg', 'external bytes/msg'], memoryRows([r.mem1k, r.mem100k])),
    '',
    markdownTable(['target', 'goal', 'measured', 'met'], targetRows(r)),
    '',
    `Ingest, 1 KB × 10,000 over 8 connections (best of 3 alternating rounds): ${fmt(full.smallRate)} msg/s and ${fmt(full.smallCpu)} µs server CPU per message with 1,000 stored; ` +
      `${fmt(full.largeRate)} msg/s and ${fmt(full.largeCpu)} µs with ${fmt(full.storedAtLarge)} stored.`,
  ].join('\n');
}
