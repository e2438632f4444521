// IMAP SORT / THREAD / ESEARCH on a 10,000-message folder (issue 18 targets: SORT (REVERSE ARRIVAL) <= 50 ms,
// THREAD REFERENCES <= 150 ms), each next to `FETCH 1:* (UID FLAGS)` measured in the same run as the baseline.
//
//   npm run bench -- imap-sort        or        node --expose-gc bench/imap-sort.bench.mjs
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, importDist } from './lib/build.mjs';
import { fmt, markdownTable, percentile } from './lib/stats.mjs';

const MESSAGES = 10_000;
const USER = 'sort@example.test';
const RUNS = 7;

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
  return Buffer.from([...head, '', `Body of message ${i}.`, ''].join('\r\n'));
}

function client(port) {
  const socket = connect(port, '127.0.0.1');
  let tail = '';
  let waiter = null;
  socket.on('data', (chunk) => {
    tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 300))).slice(-300);
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
      for (let r = 0; r < RUNS; r++) times.push(await c.run(`R${r}`, command));
      const median = percentile(times, 50);
      if (!target && label.includes('baseline')) baseline = median;
      rows.push([label, fmt(median, 1), fmt(Math.min(...times), 1), baseline ? `${fmt(median / baseline, 2)}×` : '—', target ? `≤ ${target} ms: ${median <= target ? 'met' : 'MISSED'}` : '—']);
    }
    c.close();
    return [
      '## IMAP SORT / THREAD / ESEARCH',
      '',
      `One client over loopback, folder of ${fmt(MESSAGES)} messages in reply threads of up to 20 (References up to 10 ids).`,
      `Median and best of ${RUNS} runs; "vs baseline" is the median over \`FETCH 1:* (UID FLAGS)\` in the same run.`,
      `First THREAD REFERENCES (parses every header block): ${fmt(coldThread, 1)} ms.`,
      '',
      markdownTable(['command', 'median ms', 'best ms', 'vs baseline', 'target'], rows),
      '',
    ].join('\n');
  } finally {
    await sandbox.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await run());
}
