#!/usr/bin/env node
// `node bench/lib/profile-smtp.mjs [messages]`: what separates the sandbox from bare smtp-server on the 1 KB ingest
// path. Runs 1 KB messages over 8 connections against each server in a child process started with --cpu-prof,
// then prints, for each, the CPU per message and the functions and files with the most self time per message, so
// the difference between the two lists is the sandbox's own cost. Profiles stay in .tmp/profiles/ for DevTools.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureBuilt } from './build.mjs';
import { startServerProcess } from './server-process.mjs';
import { makeDataPayload, runReused } from './smtp-client.mjs';

const messages = Number(process.argv[2] ?? 20_000);
const root = new URL('../..', import.meta.url).pathname;
const options = { smtp: { port: 0 }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false }, maxMessages: 0 };

/** Self time (µs) per function and per file, from a .cpuprofile (samples × their time deltas). */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map();
  const file = new Map();
  profile.samples.forEach((id, i) => {
    const { callFrame } = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    const where = callFrame.url ? relative(root, callFrame.url.replace('file://', '')) : '(native)';
    const key = `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + dt);
    file.set(where, (file.get(where) ?? 0) + dt);
  });
  return { fn, file };
}

async function profile(kind) {
  const dir = join(root, '.tmp/profiles', kind);
  mkdirSync(dir, { recursive: true });
  const server = await startServerProcess(kind, options, { execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const payload = makeDataPayload(1024, 'profile');
  await runReused({ port: server.ports.smtp, connections: 8, messages: 2_000, payload }); // warm-up
  const before = await server.call('rss');
  const { rate } = await runReused({ port: server.ports.smtp, connections: 8, messages, payload });
  const after = await server.call('rss');
  await server.stop();
  await new Promise((r) => setTimeout(r, 500)); // the child writes its profile as it exits
  // The main thread's profile (thread id 0 in CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile): the sandbox also
  // runs a short-lived worker at start (the TLS certificate), whose profile sorts last.
  const newest = readdirSync(dir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f)).sort().at(-1);
  const { fn, file } = selfTimes(JSON.parse(readFileSync(join(dir, newest), 'utf8')));
  const total = messages + 2_000;
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${(us / total).toFixed(1).padStart(7)} µs  ${k}`);
  console.log(`\n## ${kind}: ${Math.round(rate)} msg/s, ${((after.cpuMicros - before.cpuMicros) / messages).toFixed(1)} µs CPU per message (${join(dir, newest)})`);
  console.log('\nself time per message, by file:\n' + top(file, 15).join('\n'));
  console.log('\nself time per message, by function:\n' + top(fn, 30).join('\n'));
}

ensureBuilt();
for (const kind of ['bare', 'sandbox']) await profile(kind);
