// Makes sure dist/ is built from the current src/ before a bench imports it.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/lib/../..). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build:server` when dist/index.js is missing or older than any file in src/. */
export function ensureBuilt() {
  // Under bench/run.mjs every section measures the build the runner made, even if src/ changes during the run.
  if (process.env.MAILSANDBOX_BENCH_BUILT) return;
  const marker = join(repoRoot, 'dist', 'index.js');
  if (existsSync(marker) && statSync(marker).mtimeMs >= newestMtime(join(repoRoot, 'src'))) return;
  process.stderr.write('bench: dist/ is stale, running npm run build:server\n');
  try {
    execSync('npm run build:server', { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    // tsc still emits when some file has a type error; a bench can run on that output, so only a missing dist stops it.
    if (!existsSync(marker)) throw err;
    process.stderr.write(`bench: build:server reported errors (${err.message.split('\n')[0]}); using the emitted dist/\n`);
  }
}

/** Imports a module from dist/, e.g. `await importDist('index.js')`. */
export function importDist(path) {
  return import(new URL(`../../dist/${path}`, import.meta.url).href);
}
