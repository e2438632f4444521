#!/usr/bin/env node
// `node bench/lib/ingest-cpu.mjs [rounds] [messages]`: server CPU per message for 1 KB ingest over 8 connections,
// bare smtp-server against the sandbox, alternating for `rounds` rounds in one run (each server in its own child
// process, started once, warmed up with 2,000 messages). With MAILSANDBOX_BENCH_BEFORE=/path/to/other/dist a third
// server, another build of the sandbox (e.g. main's), runs in the same rounds, so a change is measured before and
// after under the same machine load. Prints the median CPU per message of each and the ratios to bare smtp-server,
// also as the median of each round's own ratio (paired: a load drift between rounds cancels out).
import { ensureBuilt } from './build.mjs';
import { startServerProcess } from './server-process.mjs';
import { makeDataPayload, runReused } from './smtp-client.mjs';

const rounds = Number(process.argv[2] ?? 5);
const messages = Number(process.argv[3] ?? 10_000);
const options = { smtp: { port: 0 }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false }, maxMessages: 0 };
const befores = process.env.MAILSANDBOX_BENCH_BEFORE ? process.env.MAILSANDBOX_BENCH_BEFORE.split(',') : [];
const kinds = ['bare', ...befores.map((_, i) => (i === 0 ? 'before' : `before${i + 1}`)), 'sandbox'];

ensureBuilt();
const payload = makeDataPayload(1024, 'ingest cpu');
const servers = {};
for (const kind of kinds) {
  servers[kind] = await startServerProcess(kind, options);
  await runReused({ port: servers[kind].ports.smtp, connections: 8, messages: 2_000, payload });
  if (kind !== 'bare') await servers[kind].call('clear');
}
const cpu = Object.fromEntries(kinds.map((k) => [k, []]));
const rate = Object.fromEntries(kinds.map((k) => [k, []]));
const sys = Object.fromEntries(kinds.map((k) => [k, []]));
for (let round = 0; round < rounds; round++) {
  for (const kind of kinds) {
    const server = servers[kind];
    const before = await server.call('rss');
    const r = await runReused({ port: server.ports.smtp, connections: 8, messages, payload });
    const after = await server.call('rss');
    await server.call('clear');
    cpu[kind].push((after.cpuMicros - before.cpuMicros) / messages);
    sys[kind].push((after.systemMicros - before.systemMicros) / messages);
    rate[kind].push(r.rate);
  }
}
await Promise.all(kinds.map((k) => servers[k].stop()));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The median of round-by-round ratios: the machine's load drifts between rounds, and a ratio of one round's pair cancels it. */
const pairedRatio = (a, b) => median(cpu[a].map((x, i) => x / cpu[b][i]));
console.log(`1 KB × ${messages} over 8 connections, ${rounds} alternating rounds, medians:`);
for (const kind of kinds) {
  const c = median(cpu[kind]);
  console.log(
    `${kind.padEnd(8)} ${c.toFixed(1).padStart(6)} µs CPU/msg  ${Math.round(median(rate[kind])).toString().padStart(5)} msg/s  CPU ratio bare/${kind} ${(median(cpu.bare) / c).toFixed(2)}× (paired by round ${pairedRatio('bare', kind).toFixed(2)}×), of which system ${median(sys[kind]).toFixed(1)} µs  (rounds: ${cpu[kind].map((x) => x.toFixed(0)).join(' ')})`,
  );
}
for (const kind of kinds.filter((k) => k.startsWith('before'))) console.log(`sandbox / ${kind}, paired by round: ${pairedRatio('sandbox', kind).toFixed(3)}× the CPU per message`);
