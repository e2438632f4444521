// MIME library throughput, the work behind `FETCH 1:* (ENVELOPE BODYSTRUCTURE)` and `SEARCH BODY` on 10,000
// messages: parse every tree (cold), render ENVELOPE + BODYSTRUCTURE from cached trees, decode search text.
//
//   npm run bench -- mime        or        node bench/mime.bench.mjs
//
// Messages cycle through fixtures/messages/*.eml plus a 64 KB message with a base64 attachment. Three rounds: the
// first pays for compiling the code, so the table gives round 1 and the best of rounds 2-3.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, importDist } from './lib/build.mjs';
import { fmt, markdownTable } from './lib/stats.mjs';

const MESSAGES = 10_000;
const ROUNDS = 3;

function loadMessages() {
  const dir = new URL('../fixtures/messages/', import.meta.url);
  const samples = readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => readFileSync(new URL(f, dir)));
  const attachment = Buffer.alloc(48 * 1024, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
  samples.push(
    Buffer.from(
      'From: A <a@example.test>\r\nTo: b@example.test\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n' +
        '--z\r\nContent-Type: text/plain\r\n\r\n' + 'Some text line.\r\n'.repeat(200) +
        '--z\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n' + attachment + '\r\n--z--\r\n',
    ),
  );
  // Distinct Buffers, as the store holds one per message.
  return { samples: samples.length, messages: Array.from({ length: MESSAGES }, (_, i) => Buffer.from(samples[i % samples.length])) };
}

function timed(fn) {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

/** One round: the three steps, each over every message; returns ms per step and the ENVELOPE + BODYSTRUCTURE bytes. */
function round(mime, messages) {
  const parse = timed(() => messages.map((m) => mime.parseMimeTree(m)));
  const trees = parse.value;
  const render = timed(() => {
    let wire = 0;
    for (const t of trees) wire += mime.formatImapValue(mime.envelopeOf(t)).length + mime.formatImapValue(mime.bodyStructureOf(t, true)).length;
    return wire;
  });
  const text = timed(() => trees.forEach((t, i) => mime.textOfTree(messages[i], t)));
  return { parse: parse.ms, render: render.ms, text: text.ms, wire: render.value };
}

export default async function run() {
  ensureBuilt();
  const mime = {
    ...(await importDist('mime/body-structure.js')),
    ...(await importDist('mime/envelope.js')),
    ...(await importDist('mime/imap-value.js')),
    ...(await importDist('mime/mime-tree.js')),
    ...(await importDist('mime/searchable-text.js')),
  };
  const { samples, messages } = loadMessages();
  const totalMB = messages.reduce((n, m) => n + m.length, 0) / 1024 / 1024;
  const rounds = Array.from({ length: ROUNDS }, () => round(mime, messages));
  const steps = [
    ['parseMimeTree (every message, cold)', 'parse'],
    ['ENVELOPE + BODYSTRUCTURE rendered (cached trees)', 'render'],
    ['search text decoded (cached trees)', 'text'],
  ];
  const rows = steps.map(([label, key]) => {
    const best = Math.min(...rounds.slice(1).map((r) => r[key]));
    return [label, fmt(rounds[0][key], 1), fmt(best, 1), fmt((best * 1000) / MESSAGES, 1), fmt(MESSAGES / (best / 1000))];
  });
  return [
    '## MIME library',
    '',
    `${fmt(MESSAGES)} messages (${fmt(totalMB, 1)} MB) cycling through ${samples} samples (fixtures/messages/*.eml and a 64 KB`,
    `message with a base64 attachment), in this process; ENVELOPE + BODYSTRUCTURE wire bytes per round: ${fmt(rounds[0].wire)}.`,
    '',
    markdownTable(['step', 'round 1 ms', `best of rounds 2-${ROUNDS} ms`, 'µs/message', 'messages/s'], rows),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(await run());
