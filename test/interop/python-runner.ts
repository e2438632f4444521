import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's python3 (its imaplib, poplib, smtplib are the real clients these tests drive); CI must have it. */
export const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
if (!python && process.env.CI) throw new Error('CI is set but python3 is missing');

/** Runs a Python script with `env` added (ports, users); resolves with the JSON object it prints last. */
export function runPython(script: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(python!, ['-c', script], { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>);
    });
  });
}
