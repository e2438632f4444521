// Several nodes on PostgreSQL (issue #13, `npm run bench -- postgres`): SMTP ingest into one node on PostgreSQL
// against the in-memory store in the same run, the same load spread over three nodes on one database, the latency from
// a 250 on node A to the IDLE EXISTS on node B, and the first API page with 100,000 stored. Servers run in child
// processes (bench/lib/server-process.mjs); PostgreSQL is a throwaway cluster with durable settings (fsync on).
// Knobs for development runs: MAILSANDBOX_PG_BENCH_MESSAGES (default 20,000), MAILSANDBOX_PG_BENCH_BIG=0 skips the
// 100,000-message part.
import { ImapFlow } from 'imapflow';
import pg from 'pg';
import { startServerProcess } from './lib/server-process.mjs';
import { startPgCluster, pgMissing } from './lib/pg-cluster.mjs';
import { makeDataPayload, openClients, SmtpLoadClient } from './lib/smtp-client.mjs';
import { fmt, latencySummary, markdownTable, percentile } from './lib/stats.mjs';

const MESSAGES = Number(process.env.MAILSANDBOX_PG_BENCH_MESSAGES ?? 20_000);
const BIG = process.env.MAILSANDBOX_PG_BENCH_BIG !== '0';
const CONNECTIONS = 8;
const base = { smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imaps: { port: false }, submission: { port: false }, maxMessages: 0 };

/** `messages` over clients spread across nodes; returns msg/s. */
async function ingest(ports, messages, payload) {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => SmtpLoadClient.open(ports[i % ports.length])));
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (started < messages) {
        started++;
        await c.send(payload);
      }
    }),
  );
  const ms = performance.now() - t0;
  await Promise.all(clients.map((c) => c.quit()));
  return (messages / ms) * 1000;
}

/** Runs `fn` (an ingest into `nodes`) and returns its rate with the CPU each node and PostgreSQL spent per message (µs). */
async function measured(cluster, nodes, fn) {
  const before = await Promise.all(nodes.map((n) => n.call('rss')));
  const pgBefore = cluster.cpuSeconds();
  const rate = await fn();
  const after = await Promise.all(nodes.map((n) => n.call('rss')));
  const perNode = after.map((a, i) => (a.cpuMicros - before[i].cpuMicros) / MESSAGES);
  return { rate, perNode, pg: ((cluster.cpuSeconds() - pgBefore) * 1e6) / MESSAGES };
}

/** Rows per commit in a database's log (`committed_at` is the transaction's start time: one value per commit). */
async function commitSizes(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT count(*)::int AS n, count(DISTINCT (node, committed_at))::int AS commits FROM mailsandbox_log`);
    return rows[0];
  } finally {
    await client.end();
  }
}

const cpuNote = (m) => `${m.perNode.map((us) => fmt(us)).join(' + ')} µs of node CPU and ${fmt(m.pg)} µs of PostgreSQL CPU per message`;

async function idleLatency(a, b, count) {
  const client = new ImapFlow({ host: '127.0.0.1', port: b.ports.imap, secure: false, auth: { user: 'idle@example.test', pass: 'x' }, logger: false });
  client.on('error', () => {});
  const [sender] = await openClients(a.ports.smtp, 1);
  // The mailbox must exist before it can be selected: one message first.
  await sender.send(makeDataPayload(1024, 'idle seed'), 'bench@example.test', 'idle@example.test');
  await client.connect();
  await client.mailboxOpen('INBOX');
  const latencies = [];
  for (let i = 0; i < count; i++) {
    const exists = new Promise((resolve) => client.once('exists', resolve));
    void client.idle();
    await sender.send(makeDataPayload(1024, `idle ${i}`), 'bench@example.test', 'idle@example.test');
    const t250 = performance.now();
    await exists;
    latencies.push(performance.now() - t250);
  }
  await sender.quit();
  await client.logout();
  return latencySummary(latencies);
}

async function firstPage(node, rounds) {
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const res = await fetch(`${node.url}/api/v1/messages`);
    await res.json();
    times.push(performance.now() - t0);
  }
  return percentile(times, 50);
}

export default async function run() {
  if (pgMissing) return `## PostgreSQL (several nodes)\n\nSkipped: ${pgMissing}.\n`;
  const cluster = await startPgCluster();
  const rows = [];
  const notes = [];
  try {
    const payload = makeDataPayload(1024, 'pg bench');
    const memory = await startServerProcess('sandbox', { ...base, imap: { port: false }, http: { port: false } });
    const memCpu = await measured(cluster, [memory], () => ingest([memory.ports.smtp], MESSAGES, payload));
    const memRate = memCpu.rate;
    await memory.stop();

    const one = cluster.createDatabase('one');
    const single = await startServerProcess('sandbox', { ...base, imap: { port: false }, http: { port: false }, databaseUrl: one, tenant: 'bench' });
    const oneCpu = await measured(cluster, [single], () => ingest([single.ports.smtp], MESSAGES, payload));
    const oneRate = oneCpu.rate;
    await single.stop();
    const oneCommits = await commitSizes(one);

    const three = cluster.createDatabase('three');
    const nodes = [];
    for (let i = 0; i < 3; i++) nodes.push(await startServerProcess('sandbox', { ...base, imap: { port: 0 }, http: { port: false }, databaseUrl: three, tenant: 'bench' }));
    const threeCpu = await measured(cluster, nodes, () =>
      ingest(
        nodes.map((n) => n.ports.smtp),
        MESSAGES,
        payload,
      ),
    );
    const threeRate = threeCpu.rate;
    const lat = await idleLatency(nodes[0], nodes[1], 200);
    await Promise.all(nodes.map((n) => n.stop()));
    const threeCommits = await commitSizes(three);
    notes.push(
      `CPU per message: in memory ${fmt(memCpu.perNode[0])} µs of node CPU; one node ${cpuNote(oneCpu)}; three nodes ${cpuNote(threeCpu)}. ` +
        `Rows per commit: one node ${fmt(oneCommits.n / oneCommits.commits, 1)} (${fmt(oneCommits.commits)} commits), three nodes ${fmt(threeCommits.n / threeCommits.commits, 1)} (${fmt(threeCommits.commits)} commits).`,
    );

    rows.push([`1 KB × ${fmt(MESSAGES)} over ${CONNECTIONS} connections, in memory (baseline)`, `${fmt(memRate)} msg/s`, '1.00 ×', '']);
    rows.push(['the same into one node on PostgreSQL', `${fmt(oneRate)} msg/s`, `${fmt(oneRate / memRate, 2)} × memory`, '≥ 0.25 ×']);
    rows.push(['the same spread over three nodes on one database', `${fmt(threeRate)} msg/s`, `${fmt(threeRate / oneRate, 2)} × one node`, '≥ 1.5 ×']);
    rows.push([
      '250 on node A → IDLE EXISTS on node B (200 messages)',
      `p50 ${fmt(lat.p50, 1)} ms, p99 ${fmt(lat.p99, 1)} ms, max ${fmt(lat.max, 1)} ms`,
      '',
      'p50 ≤ 50 ms, p99 ≤ 250 ms',
    ]);

    if (BIG) {
      const big = cluster.createDatabase('big');
      const loader = await startServerProcess('sandbox', { ...base, imap: { port: false }, http: { port: 0 }, smtp: { port: false }, databaseUrl: big, tenant: 'bench' });
      let t0 = performance.now();
      await loader.call('preload', { count: 100_000, size: 300 });
      await loader.stop(); // close() waits for the commit of every write
      const preloadS = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const reader = await startServerProcess('sandbox', { ...base, imap: { port: false }, http: { port: 0 }, smtp: { port: false }, databaseUrl: big, tenant: 'bench' });
      const startS = (performance.now() - t0) / 1000;
      const page = await firstPage(reader, 30);
      const mem = await reader.call('rss');
      await reader.stop();
      rows.push(['`GET /api/v1/messages` first page, 100,000 stored (median of 30)', `${fmt(page, 1)} ms`, '', '≤ 30 ms']);
      notes.push(
        `Loading 100,000 messages of ~300 bytes through one node: ${fmt(preloadS, 1)} s; a new node replaying that log at start: ${fmt(startS, 1)} s, then ${fmt(mem.rss / 1024 / 1024)} MiB resident.`,
      );
    }
  } finally {
    cluster.stop();
  }
  return `## PostgreSQL (several nodes, issue #13)\n\n${markdownTable(['what', 'measured', 'ratio', 'target'], rows)}\n\n${notes.join('\n\n')}\n`;
}
