// HTTP read side: list, search and full-message latency over 10,000 stored messages, the long-poll wait's
// delivery-to-response latency, and WebSocket fan-out to 50 clients.
//
//   npm run bench -- http        or        node bench/http.bench.mjs
//
// Client and sandbox share one process (and so the same core), as in a CI job that runs both.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { ensureBuilt, importDist } from './lib/build.mjs';
import { fmt, latencySummary, markdownTable, rssMiB, since } from './lib/stats.mjs';

const STORED = 10_000;
const REQUESTS = 200;
const WAITS = 200;
const WS_CLIENTS = 50;
const WS_MESSAGES = 500;

function makeMessage(i) {
  const lines = [
    `From: sender${i % 97} <sender${i % 97}@example.test>`,
    `To: user${i % 13}@example.test`,
    `Subject: Order ${100000 + i} confirmation`,
    `Message-ID: <${i}@bench.example.test>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
  ];
  for (let n = 0; n < 20; n++) lines.push(`Line ${n}: thanks for order ${100000 + i}, ${'lorem ipsum '.repeat(5)}`);
  if (i % 1000 === 7) lines.push('Your verification code is 482913');
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

async function timeRequests(url, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(typeof url === 'function' ? url(i) : url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${res.status} for ${res.url}`);
    times.push(since(t));
  }
  return latencySummary(times);
}

function parked(waiters, n) {
  return new Promise((resolve) => {
    if (waiters.active === n) return resolve();
    const off = waiters.on('waiters.changed', (active) => {
      if (active === n) {
        off();
        resolve();
      }
    });
  });
}

async function timeWaits(sandbox) {
  const waiters = sandbox.context.waiters;
  const times = [];
  for (let i = 0; i < WAITS; i++) {
    const pending = fetch(`${sandbox.url}/api/v1/messages/wait?query=subject:wait-${i}&timeout=10s`);
    // Deliver once the long-poll has reached the server and parked.
    await parked(waiters, 1);
    const t = performance.now();
    await sandbox.deliver(`From: a@example.test\r\nTo: b@example.test\r\nSubject: wait-${i}\r\n\r\nhi\r\n`, { to: 'b@example.test' });
    const res = await pending;
    await res.arrayBuffer();
    times.push(since(t));
  }
  return latencySummary(times);
}

async function timeFanOut(sandbox) {
  const clients = await Promise.all(
    Array.from({ length: WS_CLIENTS }, () => new Promise((resolve, reject) => {
      const ws = new WebSocket(`${sandbox.url.replace('http', 'ws')}/api/v1/events`);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    })),
  );
  const done = clients.map((ws) => new Promise((resolve) => {
    let added = 0;
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'message.added' && ++added === WS_MESSAGES) resolve();
    });
  }));
  const t = performance.now();
  for (let i = 0; i < WS_MESSAGES; i++) await sandbox.deliver(makeMessage(i), { to: 'fanout@example.test' });
  await Promise.all(done);
  const ms = since(t);
  for (const ws of clients) ws.close();
  return { ms, framesPerSecond: (WS_CLIENTS * WS_MESSAGES) / (ms / 1000) };
}

export default async function run() {
  ensureBuilt();
  const { createSandbox } = await importDist('index.js');
  const off = { port: false };
  const sandbox = await createSandbox({ smtp: off, smtps: off, pop3: off, pop3s: off, imap: off, imaps: off, http: { port: 0 }, maxMessages: 0, logLevel: 'silent' });
  try {
    const rssBefore = rssMiB();
    for (let i = 0; i < STORED; i++) await sandbox.deliver(makeMessage(i), { to: `user${i % 13}@example.test` });
    const ids = sandbox.messages({}, { limit: STORED }).map((m) => m.id);
    const api = `${sandbox.url}/api/v1/messages`;
    const t0 = performance.now();
    await (await fetch(`${api}?query=482913`)).arrayBuffer();
    const coldSearch = since(t0);
    const rows = [
      ['list, first page (50)', await timeRequests(api, REQUESTS)],
      ['list, page 100 (offset 5000)', await timeRequests(`${api}?offset=5000`, REQUESTS)],
      ['header search `from:sender7 to:user3`', await timeRequests(`${api}?query=${encodeURIComponent('from:sender7 to:user3')}`, REQUESTS)],
      ['body word search (warm cache)', await timeRequests(`${api}?query=482913`, 20)],
      ['full message, first parse', await timeRequests((i) => `${api}/${ids[i]}`, REQUESTS)],
      ['full message, cached', await timeRequests((i) => `${api}/${ids[i]}`, REQUESTS)],
      ['raw bytes', await timeRequests((i) => `${api}/${ids[i]}/raw`, REQUESTS)],
    ];
    const waits = await timeWaits(sandbox);
    const fanOut = await timeFanOut(sandbox);
    const table = markdownTable(
      ['request', 'p50 ms', 'p99 ms', 'max ms'],
      rows.map(([name, s]) => [name, fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.max, 2)]),
    );
    return [
      '## HTTP API',
      '',
      `${fmt(STORED)} stored messages (~2 KB each), client and server in one process; ${REQUESTS} sequential requests per row.`,
      `Store + server RSS growth for the stored mail: ${fmt(rssMiB() - rssBefore)} MiB.`,
      '',
      table,
      '',
      `Body word search over all ${fmt(STORED)} messages, cold (decodes every body once): ${fmt(coldSearch, 1)} ms.`,
      `Long-poll \`/messages/wait\`: delivery to response p50 ${fmt(waits.p50, 2)} ms, p99 ${fmt(waits.p99, 2)} ms (${WAITS} waits).`,
      `WebSocket fan-out: ${WS_MESSAGES} messages to ${WS_CLIENTS} clients in ${fmt(fanOut.ms)} ms (${fmt(fanOut.framesPerSecond)} frames/s).`,
    ].join('\n');
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(await run());
