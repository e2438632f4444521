#!/usr/bin/env node
import { fstatSync, readFileSync } from 'node:fs';
import { ConfigError, cliDefaultPorts, formatHelp, parseCli } from './config.js';
import { listenerLabels } from './api/listen-problem.js';
import { createSandbox, version } from './api/create-sandbox.js';
import type { Sandbox } from './api/create-sandbox.js';
import type { SandboxInfo } from './shared/server-context.js';
import { exportCommand, importCommand, UsageError } from './cli/import-export.js';
import { DataDirError } from './store/sqlite/sqlite-backend.js';

const tlsLabels: Record<string, string> = { starttls: '(STARTTLS)', implicit: '(TLS)', none: '' };
/** POP3 calls its upgrade STLS (RFC 2595). */
const upgradeLabel = (name: string, tls: string) => (name === 'pop3' && tls === 'starttls' ? '(STLS)' : tlsLabels[tls]);

/** How long SIGINT/SIGTERM waits for in-flight transactions before exiting anyway. */
const shutdownGraceMs = 10_000;

export function formatBanner(info: SandboxInfo): string {
  const kept = info.store.path === null ? 'everything is kept in memory; stopping the process loses it' : `mail is kept on disk in ${info.store.path}`;
  const lines = [`mailsandbox ${info.version} — ${kept}`];
  for (const l of info.listeners) lines.push(`  ${listenerLabels[l.name].padEnd(6)} ${l.url} ${upgradeLabel(l.name, l.tls)}`.trimEnd());
  const http = info.listeners.find((l) => l.name === 'http');
  if (http) lines.push(`  UI     ${http.url}/`);
  // A client that verifies certificates needs this one; the fingerprint lets a user check what they downloaded.
  lines.push(`  TLS    certificate SHA-256 ${info.tlsFingerprint256}`);
  if (http) lines.push(`         download: ${http.url}/api/v1/tls/certificate`);
  return lines.join('\n') + '\n';
}

function jsonBanner(sandbox: Sandbox): string {
  const info = sandbox.info();
  return JSON.stringify({ event: 'ready', version: info.version, host: info.host, ports: sandbox.ports, ui: sandbox.url, listeners: info.listeners }) + '\n';
}

async function main(): Promise<number> {
  const [sub, ...rest] = process.argv.slice(2);
  if (sub === 'import' || sub === 'export') return runTool(sub, rest);
  let settings;
  try {
    settings = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    return fail(err);
  }
  if (settings.help) {
    process.stdout.write(formatHelp());
    return 0;
  }
  if (settings.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  // Handlers go in before anything is printed: a supervisor may signal as soon as it sees the banner.
  let requestStop: (reason: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => {
    requestStop = resolve;
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  stopWhenStdinCloses(requestStop);
  stopWhenIpcCloses(requestStop);
  if (settings.exitWithParent) stopWhenParentExits(requestStop);
  let sandbox: Sandbox;
  try {
    sandbox = await createSandbox(settings.options, (name) => cliDefaultPorts[name]);
  } catch (err) {
    return fail(err);
  }
  if (settings.jsonBanner) process.stdout.write(jsonBanner(sandbox));
  else {
    process.stdout.write(formatBanner(sandbox.info()));
    // Tools that read our output (CI scripts) find the ports in the last line.
    if (!process.stdout.isTTY) process.stdout.write(jsonBanner(sandbox));
  }
  const signal = await stopRequested;
  process.stderr.write(`${signal}: shutting down\n`);
  const timer = setTimeout(() => process.exit(0), shutdownGraceMs);
  timer.unref();
  await sandbox.close();
  return 0;
}

/**
 * Started by a tool with stdin a pipe (Node's spawn default), the pipe closing means the tool is gone — even one
 * killed without cleaning up — so the sandbox stops too instead of living on as an orphan. A terminal, /dev/null
 * (a shell's background job) or a file is never watched: those never close for that reason.
 */
function stopWhenStdinCloses(stop: (reason: string) => void): void {
  let stat;
  try {
    stat = fstatSync(0);
  } catch {
    return;
  }
  if (!stat.isFIFO() && !stat.isSocket()) return;
  process.stdin.on('data', () => {}); // whatever the tool writes is ignored; only the end matters
  process.stdin.once('end', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin closed'));
  // Watching must not keep the process alive once the sandbox has closed after a signal.
  (process.stdin as { unref?: () => void }).unref?.();
}

/** Started with an IPC channel (`fork()`, `spawn` with `'ipc'`): the channel closing means the parent is gone. */
function stopWhenIpcCloses(stop: (reason: string) => void): void {
  if (!process.channel) return;
  process.once('disconnect', () => stop('IPC channel closed'));
  // The channel must not keep the process alive once the sandbox has closed.
  process.channel.unref();
}

/** How often `--exit-with-parent` looks for the parent process. */
const parentCheckMs = 500;
/** Wrappers that only run the CLI (`npx` runs a bin as npm -> `sh -c` -> node): the process that matters is above. */
const shellWrappers = new Set(['sh', 'dash', 'bash', 'ash', 'zsh']);

/**
 * `--exit-with-parent`: stops the sandbox when the process that started it is gone. That is the parent, and when the
 * parent is only a shell running the command (`sh -c`, as npm's `npx` does) the process above it too, since a shell
 * outlives a killed npm. For starters whose stdin is not a pipe — a terminal, or a tool that passes its own stdin on —
 * and that may die without signalling (SIGKILL, a crashed test runner). Off by default: a sandbox started from a
 * script and left running as a daemon on purpose would otherwise stop with the script.
 */
function stopWhenParentExits(stop: (reason: string) => void): void {
  const watched = [process.ppid];
  const grandparent = shellWrappers.has(procComm(process.ppid) ?? '') ? procParent(process.ppid) : undefined;
  if (grandparent !== undefined && grandparent > 1) watched.push(grandparent);
  const timer = setInterval(() => {
    const gone = process.ppid !== watched[0] ? watched[0] : watched.find((pid) => !isAlive(pid));
    if (gone === undefined) return;
    clearInterval(timer);
    stop(`parent process ${gone} exited`);
  }, parentCheckMs);
  timer.unref();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process's command name and parent from Linux's /proc (undefined elsewhere). */
function procStat(pid: number): { comm: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // "pid (comm) state ppid ...": the name may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) };
  } catch {
    return undefined;
  }
}
const procComm = (pid: number) => procStat(pid)?.comm;
const procParent = (pid: number) => procStat(pid)?.ppid;

/** `mailsandbox import ...` / `mailsandbox export ...` (src/cli/import-export.ts). */
async function runTool(name: 'import' | 'export', argv: string[]): Promise<number> {
  try {
    return await (name === 'import' ? importCommand(argv) : exportCommand(argv));
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (err instanceof UsageError || err instanceof DataDirError || code.startsWith('ERR_PARSE_ARGS') || code === 'ENOENT') {
      process.stderr.write(`mailsandbox ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    return fail(err);
  }
}

function fail(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`mailsandbox: ${err.message}\n\nRun mailsandbox --help for the options.\n`);
    return 2;
  }
  process.stderr.write(`mailsandbox: ${(err as Error).stack ?? String(err)}\n`);
  return 1;
}

process.exitCode = await main();
