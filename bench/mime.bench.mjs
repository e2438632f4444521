// MIME library throughput, the work behind `FETCH 1:* (ENVELOPE BODYSTRUCTURE)` and `SEARCH BODY` on 10,000
// messages: parse every tree (cold), render ENVELOPE + BODYSTRUCTURE from cached trees, decode search text.
//
//   npm run build:server && node bench/mime.bench.mjs
//
// Messages cycle through fixtures/messages/*.eml plus a 64 KB message with a base64 attachment.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { bodyStructureOf } from '../dist/mime/body-structure.js';
import { envelopeOf } from '../dist/mime/envelope.js';
import { formatImapValue } from '../dist/mime/imap-value.js';
import { parseMimeTree } from '../dist/mime/mime-tree.js';
import { textOfTree } from '../dist/mime/searchable-text.js';

const MESSAGES = 10_000;
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
const messages = Array.from({ length: MESSAGES }, (_, i) => Buffer.from(samples[i % samples.length]));
const totalBytes = messages.reduce((n, m) => n + m.length, 0);

function time(label, fn) {
  const start = performance.now();
  const out = fn();
  const ms = performance.now() - start;
  console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  (${((ms * 1000) / MESSAGES).toFixed(1)} µs/message)`);
  return out;
}

console.log(`${MESSAGES} messages, ${(totalBytes / 1024 / 1024).toFixed(1)} MB`);
for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}`);
  const trees = time('parseMimeTree (cold)', () => messages.map((m) => parseMimeTree(m)));
  let wire = 0;
  time('ENVELOPE + BODYSTRUCTURE rendered (cached trees)', () => {
    for (const t of trees) wire += formatImapValue(envelopeOf(t)).length + formatImapValue(bodyStructureOf(t, true)).length;
  });
  time('search text (cached trees)', () => trees.forEach((t, i) => textOfTree(messages[i], t)));
  if (round === 3) console.log(`wire bytes per round: ${wire}`);
}
