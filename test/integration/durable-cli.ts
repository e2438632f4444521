import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/** The built CLI, which the durable-store tests start as a user would (`mailsandbox --data-dir ...`). */
export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** Every listener on a free port. */
export const allZero = ['--smtp-port', '0', '--submission-port', '0', '--smtps-port', '0', '--pop3-port', '0', '--pop3s-port', '0', '--imap-port', '0', '--imaps-port', '0', '--http-port', '0'];

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  ports: Record<string, number>;
  /** The HTTP base URL, without a trailing slash. */
  url: string;
  stderr: () => string;
}

/**
 * CLI processes on data directories for one test file: every process still running is killed (SIGKILL) and every
 * directory removed after each test.
 */
export function durableCli(dirPrefix: string) {
  const children: ChildProcessWithoutNullStreams[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), dirPrefix));
    dirs.push(dir);
    return dir;
  }

  /** Starts the CLI on `dir` (free ports) and resolves once its JSON ready line is out. */
  function startCli(dir: string, extra: string[] = []): Promise<RunningCli> {
    const child = spawn(process.execPath, [cliPath, ...allZero, '--data-dir', dir, '--log-level', 'warn', ...extra], { env: { ...process.env } });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          const ready = JSON.parse(line) as { ports: Record<string, number>; ui: string };
          resolve({ child, ports: ready.ports, url: ready.ui.replace(/\/$/, ''), stderr: () => err });
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before ready: ${out} ${err}`)));
    });
  }

  async function stop(r: RunningCli, signal: NodeJS.Signals): Promise<void> {
    const exited = new Promise((resolve) => r.child.once('exit', resolve));
    r.child.kill(signal);
    await exited;
  }

  return { tempDir, startCli, stop };
}
