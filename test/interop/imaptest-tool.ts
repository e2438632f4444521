import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Dovecot's imaptest, built once into the git-ignored `.cache/imaptest` by `.ci/imaptest.sh` (which runs
 * `../shared/tools/imaptest/build.sh`). Where it can't be built (no `../shared`, no root for its apt packages, no
 * network), the suites skip with the reason in their name; with `CI` set they fail instead.
 */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const imaptestPrefix = `${projectRoot}.cache/imaptest`;
export const imaptestBin = `${imaptestPrefix}/bin/imaptest`;
export const isImaptestRequired = Boolean(process.env.CI);

export type ImaptestProbe = { ok: true } | { ok: false; reason: string };

function runs(): boolean {
  return existsSync(imaptestBin) && spawnSync(imaptestBin, ['--help'], { stdio: 'ignore' }).status !== null;
}

/** Builds imaptest unless it is there already (about 10 s of compiling, plus apt on a fresh machine). */
export function ensureImaptest(): ImaptestProbe {
  if (runs()) return { ok: true };
  if (!existsSync('/usr/bin/timeout')) return { ok: false, reason: 'coreutils timeout is missing' };
  const build = spawnSync('timeout', ['900', 'bash', `${projectRoot}.ci/imaptest.sh`], { cwd: projectRoot, encoding: 'utf8' });
  if (build.status === 0 && runs()) return { ok: true };
  const tail = `${build.stdout ?? ''}${build.stderr ?? ''}`.trim().split('\n').slice(-3).join(' / ');
  return { ok: false, reason: `imaptest could not be built by .ci/imaptest.sh (exit ${build.status}): ${tail.slice(0, 300)}` };
}

export interface ImaptestRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs imaptest with `key=value` arguments under `timeout`, never rejecting: the caller asserts on the outcome. */
export function runImaptest(args: Record<string, string | number>, limitSeconds: number): Promise<ImaptestRun> {
  const argv = [String(limitSeconds), imaptestBin, ...Object.entries(args).map(([k, v]) => `${k}=${v}`)];
  return new Promise((resolve) => {
    execFile('timeout', argv, { maxBuffer: 64 * 1024 * 1024, cwd: projectRoot }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `71 test groups: 0 failed, ...`, `base protocol: 0/457 ...`, `extensions: 0/26 ...` from the scripted suite. */
export function scriptedSummary(stdout: string): { groups: number; failedGroups: number; base: [number, number]; extensions: [number, number] } | null {
  const groups = /(\d+) test groups: (\d+) failed/.exec(stdout);
  const base = /base protocol: (\d+)\/(\d+) individual commands failed/.exec(stdout);
  const ext = /extensions: (\d+)\/(\d+) individual commands failed/.exec(stdout);
  if (!groups || !base || !ext) return null;
  return {
    groups: Number(groups[1]),
    failedGroups: Number(groups[2]),
    base: [Number(base[1]), Number(base[2])],
    extensions: [Number(ext[1]), Number(ext[2])],
  };
}

/** imaptest's `Error:` and `Panic:` lines: each is a protocol or state bug it saw. */
export function problemLines(run: ImaptestRun): string[] {
  return `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => /\b(Error|Panic):/.test(l));
}
