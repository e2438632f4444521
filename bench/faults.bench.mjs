// Fault injection overhead (`npm run bench -- faults`): SMTP ingest of 1 KB messages over 8 connections with 100
// fault rules that match nothing, against the same ingest with no rule, in the same run (issue 14: >= 0.95x).
// Both sandboxes run in child processes (bench/lib/server-process.mjs); rounds alternate, the best of each counts.
import { startServerProcess } from './lib/server-process.mjs';
import { makeDataPayload, runReused } from './lib/smtp-client.mjs';
import { fmt, markdownTable } from './lib/stats.mjs';

const MESSAGES = 20_000;
const CONNECTIONS = 8;
const ROUNDS = 3;
const base = { smtp: { port: 0 }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false }, maxMessages: 0 };

/** 100 rules on every SMTP stage the load goes through, each with a match that the load never satisfies. */
function nonMatchingRules() {
  const stages = ['connect', 'ehlo', 'mail', 'rcpt', 'data', 'message'];
  return Array.from({ length: 100 }, (_, i) => {
    const on = stages[i % stages.length];
    const match = on === 'message' ? { subject: `never-${i}` } : on === 'connect' || on === 'ehlo' ? { user: `nobody-${i}@nowhere.test` } : { to: `nobody-${i}@nowhere.test` };
    return { protocol: 'smtp', on, match, action: 'reply', reply: '451 4.3.0 never sent' };
  });
}

export default async function run() {
  const payload = makeDataPayload(1024, 'fault bench');
  const servers = {
    none: await startServerProcess('sandbox', base),
    rules: await startServerProcess('sandbox', { ...base, faults: nonMatchingRules() }),
  };
  const best = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ['none', 'rules']) {
      const before = await servers[kind].call('rss');
      const r = await runReused({ port: servers[kind].ports.smtp, connections: CONNECTIONS, messages: MESSAGES, payload });
      const after = await servers[kind].call('rss');
      await servers[kind].call('clear');
      // Server CPU per message is far less sensitive than throughput to what else runs on a shared machine.
      r.cpuPerMessage = (after.cpuMicros - before.cpuMicros) / MESSAGES;
      if (!best[kind] || r.rate > best[kind].rate) best[kind] = { ...r, cpuPerMessage: Math.min(r.cpuPerMessage, best[kind]?.cpuPerMessage ?? Infinity) };
      else best[kind].cpuPerMessage = Math.min(best[kind].cpuPerMessage, r.cpuPerMessage);
    }
  }
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  const ratio = best.rules.rate / best.none.rate;
  const cpuRatio = best.none.cpuPerMessage / best.rules.cpuPerMessage;
  return [
    '## Fault injection overhead',
    '',
    `Command: \`npm run bench -- faults\`. SMTP ingest of ${MESSAGES.toLocaleString('en')} × 1 KB over ${CONNECTIONS} connections, best of ${ROUNDS} alternating rounds per sandbox.`,
    '',
    markdownTable(
      ['sandbox', 'messages/s', 'ratio to no rules', 'server CPU µs/message', 'CPU ratio (no rules / rules)', 'target'],
      [
        ['no fault rules', fmt(best.none.rate), '1.00', fmt(best.none.cpuPerMessage), '1.00', ''],
        ['100 rules that match nothing', fmt(best.rules.rate), fmt(ratio, 2), fmt(best.rules.cpuPerMessage), fmt(cpuRatio, 2), '>= 0.95'],
      ],
    ),
    '',
    `Result: throughput ratio ${fmt(ratio, 2)}, CPU ratio ${fmt(cpuRatio, 2)}: ${Math.min(ratio, cpuRatio) >= 0.95 ? 'meets' : 'MISSES'} the 0.95 target.`,
  ].join('\n');
}
