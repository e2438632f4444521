// IMAP SORT / THREAD / ESEARCH on a 10,000-message folder (issue 18 targets: SORT (REVERSE ARRIVAL) <= 50 ms,
// THREAD REFERENCES <= 150 ms), each next to `FETCH 1:* (UID FLAGS)` measured in the same run as the baseline; and
// `UID FETCH 1:* BODY.PEEK[]` with and without COMPRESS=DEFLATE (bytes on the wire, MB/s of message data).
//
//   npm run bench -- imap-sort        or        node --expose-gc bench/imap-sort.bench.mjs
import { connect } from 'node:net';
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, importDist } from './lib/build.mjs';
import { fmt, markdownTable, percentile } from './lib/stats.mjs';

const MESSAGES = 10_000;
const USER = 'sort@example.test';
const RUNS = 7;
const WARMUP = 3;
/** The last bytes kept to spot a tagged completion: a LOGIN OK with its CAPABILITY list is longer than 300. */
const tailChars = 4096;

/** Threads of 1-20 messages: every message after a thread's first references its predecessors. */
function makeMessage(i) {
  const thread = Math.floor(i / 10) - (i % 7);
  const first = Math.max(0, thread) * 10;
  const refs = [];
  for (let r = first; r < i && refs.length < 10; r++) refs.push(`<${r}@bench.example.test>`);
  const isReply = refs.length > 0;
  const head = [
    `From: Sender ${i % 97} <sender${i % 97}@example.test>`,
    `To: ${USER}`,
    `Subject: ${isReply ? 'Re: ' : ''}topic ${Math.max(0, thread)}`,
    `Date: ${new Date(Date.UTC(2024, 0, 1) + ((i * 7919) % MESSAGES) * 60_000).toUTCString()}`,
    `Message-ID: <${i}@bench.example.test>`,
    ...(isReply ? [`References: ${refs.join(' ')}`] : []),
  ];
  const text = Array.from({ length: 20 + (i % 60) }, (_, n) => `Line ${n} of message ${i}: the quick brown fox ${(i * 31 + n) % 977}`).join('\r\n');
  return Buffer.from([...head, '', text, ''].join('\r\n'));
}

/** `UID FETCH 1:* BODY.PEEK[]` over its own connection, optionally compressed: { ms, wire, data } in bytes. */
async function fetchAll(port, compressed) {
  const socket = connect(port, '127.0.0.1');
  let wire = 0;
  let text = '';
  let data = 0;
  let waiter = null;
  let inflate = null;
  const onText = (chunk) => {
    data += chunk.length;
    text = (text + chunk.toString('latin1', Math.max(0, chunk.length - tailChars))).slice(-tailChars);
    if (waiter && waiter.pattern.test(text)) {
      const w = waiter;
      waiter = null;
      w.resolve();
    }
  };
  socket.on('data', (chunk) => {
    wire += chunk.length;
    if (inflate) inflate.write(chunk);
    else onText(chunk);
  });
  const until = (pattern) => new Promise((resolve) => (waiter = { pattern, resolve }));
  let deflate = null;
  const send = (line) => {
    if (!deflate) return void socket.write(line);
    deflate.write(line);
    deflate.flush(constants.Z_SYNC_FLUSH);
  };
  await until(/^\* OK.*\r\n$/m);
  let done = until(/\r\nL OK[^\r\n]*\r\n$/);
  send(`L LOGIN ${USER} x\r\n`);
  await done;
  if (compressed) {
    done = until(/\r\nZ OK[^\r\n]*\r\n$/);
    send('Z COMPRESS DEFLATE\r\n');
    await done;
    inflate = createInflateRaw();
    inflate.on('data', onText);
    deflate = createDeflateRaw();
    deflate.on('data', (d) => socket.write(d));
  }
  done = until(/\r\nS OK[^\r\n]*\r\n$/);
  send('S SELECT INBOX\r\n');
  await done;
  const wireBefore = wire;
  const dataBefore = data;
  const started = performance.now();
  done = until(/\r\nF OK[^\r\n]*\r\n$/);
  send('F UID FETCH 1:* BODY.PEEK[]\r\n');
  await done;
  const ms = performance.now() - started;
  socket.destroy();
  return { ms, wire: wire - wireBefore, data: data - dataBefore };
}

function client(port) {
  const socket = connect(port, '127.0.0.1');
  let tail = '';
  let waiter = null;
  socket.on('data', (chunk) => {
    tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - tailChars))).slice(-tailChars);
    if (waiter && waiter.pattern.test(tail)) {
      const w = waiter;
      waiter = null;
      w.resolve(tail);
    }
  });
  const until = (pattern) => new Promise((resolve) => (waiter = { pattern, resolve }));
  return {
    ready: until(/^\* OK.*\r\n$/m),
    async run(tag, command) {
      tail = '\r\n';
      const done = until(new RegExp(`\\r\\n${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n$`));
      const started = performance.now();
      socket.write(`${tag} ${command}\r\n`);
      const end = await done;
      if (!new RegExp(`${tag} OK`).test(end)) throw new Error(`${command}: ${end}`);
      return performance.now() - started;
    },
    close: () => socket.destroy(),
  };
}

export default async function run() {
  ensureBuilt();
  const { createSandbox } = await importDist('index.js');
  const sandbox = await createSandbox({
    smtp: { port: false }, submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imaps: { port: false },
    http: { port: false }, imap: { port: 0 }, logLevel: 'silent', maxMessages: 0,
  });
  try {
    for (let i = 0; i < MESSAGES; i++) await sandbox.deliver(makeMessage(i), { to: USER });
    const c = client(sandbox.ports.imap);
    await c.ready;
    await c.run('L', `LOGIN ${USER} x`);
    await c.run('S', 'SELECT INBOX');
    const commands = [
      ['FETCH 1:* (UID FLAGS) (baseline)', 'FETCH 1:* (UID FLAGS)', null],
      ['SORT (REVERSE ARRIVAL) UTF-8 ALL', 'SORT (REVERSE ARRIVAL) UTF-8 ALL', 50],
      ['SORT (SUBJECT) UTF-8 ALL', 'SORT (SUBJECT) UTF-8 ALL', null],
      ['SORT (DATE FROM) UTF-8 ALL', 'SORT (DATE FROM) UTF-8 ALL', null],
      ['THREAD REFERENCES UTF-8 ALL', 'THREAD REFERENCES UTF-8 ALL', 150],
      ['THREAD ORDEREDSUBJECT UTF-8 ALL', 'THREAD ORDEREDSUBJECT UTF-8 ALL', null],
      ['UID SEARCH RETURN (MIN MAX COUNT) ALL', 'UID SEARCH RETURN (MIN MAX COUNT) ALL', null],
      ['UID SORT RETURN (COUNT ALL) (REVERSE DATE) UTF-8 ALL', 'UID SORT RETURN (COUNT ALL) (REVERSE DATE) UTF-8 ALL', null],
    ];
    // The first THREAD REFERENCES parses every message's header block (MIME trees are then cached).
    const coldThread = await c.run('C', 'THREAD REFERENCES UTF-8 ALL');
    const rows = [];
    let baseline = 0;
    for (const [label, command, target] of commands) {
      const times = [];
      // After a new SELECT the view keeps no answers yet (per-message sort keys and thread facts stay cached).
      await c.run('S', 'SELECT INBOX');
      const fresh = await c.run('F', command);
      // Warm-up runs (JIT, caches) are not counted: the table is the steady state; the cold THREAD is given above.
      for (let r = 0; r < WARMUP; r++) await c.run(`W${r}`, command);
      for (let r = 0; r < RUNS; r++) times.push(await c.run(`R${r}`, command));
      const median = percentile(times, 50);
      if (!target && label.includes('baseline')) baseline = median;
      rows.push([label, fmt(fresh, 1), fmt(median, 1), fmt(Math.min(...times), 1), baseline ? `${fmt(median / baseline, 2)}×` : '—', target ? `≤ ${target} ms: ${median <= target ? 'met' : 'MISSED'}` : '—']);
    }
    c.close();
    const plain = await fetchAll(sandbox.ports.imap, false);
    const deflated = await fetchAll(sandbox.ports.imap, true);
    const mb = (b) => fmt(b / 1024 / 1024, 1);
    const fetchRows = [plain, deflated].map((r, i) => [
      i === 0 ? 'uncompressed' : 'COMPRESS=DEFLATE',
      fmt(r.ms),
      mb(r.wire),
      `${fmt((r.wire / plain.wire) * 100, 0)} %`,
      fmt(r.data / 1024 / 1024 / (r.ms / 1000), 1),
    ]);
    return [
      '## IMAP SORT / THREAD / ESEARCH',
      '',
      `One client over loopback, folder of ${fmt(MESSAGES)} messages in reply threads of up to 20 (References up to 10 ids).`,
      `Median and best of ${RUNS} runs after ${WARMUP} warm-up runs (repeats: the view's kept answer); "vs baseline" is the median over \`FETCH 1:* (UID FLAGS)\` in the same run.`,
      'The "after a new SELECT" column is one run right after re-selecting the folder: the answer is computed again from the per-message sort keys and thread facts.',
      `First THREAD REFERENCES (parses every header block): ${fmt(coldThread, 1)} ms.`,
      '',
      markdownTable(['command', 'after a new SELECT ms', 'median ms', 'best ms', 'vs baseline', 'target'], rows),
      '',
      `\`UID FETCH 1:* BODY.PEEK[]\` of the same ${fmt(MESSAGES)} messages (text bodies), one run each, MB/s of response data:`,
      '',
      markdownTable(['connection', 'ms', 'MB on the wire', 'wire vs uncompressed', 'MB/s'], fetchRows),
      '',
    ].join('\n');
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await run());
}
