// One-off: `node bench/lib/compare-smtp-builds.mjs OTHER_CHECKOUT` runs the SMTP 1 KB × 20,000 / 8-connection case
// against this checkout's dist/ and another checkout's (e.g. the branch's base), alternating, best of 3 rounds each,
// with the server's CPU per message. Used to check a change to the store's hot path stays within noise.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeDataPayload, runReused } from './smtp-client.mjs';

const other = resolve(process.argv[2]);
const here = new URL('./server-process.mjs', import.meta.url).href;
const there = pathToFileURL(`${other}/bench/lib/server-process.mjs`).href;
const options = { smtp: { port: 0 }, submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false }, maxMessages: 0 };
const builds = { [other]: there, 'this checkout': here };
const best = {};
for (let round = 0; round < 3; round++) {
  for (const [name, lib] of Object.entries(builds)) {
    const { startServerProcess } = await import(lib);
    const server = await startServerProcess('sandbox', options);
    const before = await server.call('rss');
    const r = await runReused({ port: server.ports.smtp, connections: 8, messages: 20_000, payload: makeDataPayload(1024, 'compare') });
    const after = await server.call('rss');
    await server.stop();
    const cpu = (after.cpuMicros - before.cpuMicros) / 20_000;
    if (!best[name] || r.rate > best[name].rate) best[name] = { rate: r.rate, cpu };
    process.stderr.write(`round ${round} ${name}: ${r.rate.toFixed(0)} msg/s, ${cpu.toFixed(0)} µs CPU/msg\n`);
  }
}
for (const [name, b] of Object.entries(best)) console.log(`${name}: best ${b.rate.toFixed(0)} msg/s, ${b.cpu.toFixed(0)} µs server CPU per message`);
