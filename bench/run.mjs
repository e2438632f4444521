#!/usr/bin/env node
// `npm run bench [name ...]`: builds dist/ if stale, then runs every bench/*.bench.mjs in name order (or only the
// named ones: `npm run bench -- smtp pop3`). Each exports `default async function run(): Promise<string>` returning
// a markdown section; the sections are printed to stdout, progress goes to stderr.
import { readdirSync } from 'node:fs';
import { ensureBuilt } from './lib/build.mjs';
import { machineInfo } from './lib/stats.mjs';

const dir = new URL('./', import.meta.url);
const wanted = process.argv.slice(2).map((a) => a.replace(/\.bench\.mjs$/, ''));
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .sort();
const unknown = wanted.filter((w) => !all.includes(`${w}.bench.mjs`));
if (unknown.length) {
  console.error(`unknown bench: ${unknown.join(', ')} (have: ${all.map((f) => f.replace('.bench.mjs', '')).join(', ')})`);
  process.exit(2);
}
const files = wanted.length ? all.filter((f) => wanted.includes(f.replace('.bench.mjs', ''))) : all;

ensureBuilt();
process.env.MAILSANDBOX_BENCH_BUILT = '1';
console.log(`# mailsandbox benchmarks\n\n${new Date().toISOString()} — ${await machineInfo()}\n`);
let failed = 0;
for (const file of files) {
  const started = performance.now();
  process.stderr.write(`bench: ${file} ...\n`);
  try {
    const { default: run } = await import(new URL(file, dir).href);
    // A bench written as a plain script did its work (and printed) while being imported.
    if (typeof run !== 'function') console.log(`<!-- ${file} exports no run(); it printed its own output -->\n`);
    else console.log((await run()).trim() + '\n');
  } catch (err) {
    failed++;
    console.log(`## ${file}\n\nFAILED: ${String(err?.stack ?? err)}\n`);
  }
  process.stderr.write(`bench: ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
process.exit(failed ? 1 : 0);
