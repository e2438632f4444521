import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { httpSandbox } from './http-helpers.js';

const curl = '/usr/bin/curl';
const hasCurl = existsSync(curl);

function run(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(curl, ['--silent', '--show-error', ...args], (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }));
  });
}

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await httpSandbox();
});
afterEach(async () => {
  await sandbox.close();
});

describe.skipIf(!hasCurl)(hasCurl ? 'curl against the REST API' : `curl against the REST API (skipped: ${curl} is not installed)`, () => {
  it('seeds an .eml saved with LF line endings and long-polls for it, as a shell script would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eml-'));
    const file = join(dir, 'welcome.eml');
    writeFileSync(file, 'From: app@example.test\nTo: ann@example.test\nSubject: Welcome from curl\n\nHello Ann\n');
    const base = sandbox.url!;
    const waiting = run(['--fail-with-body', `${base}/api/v1/messages/wait?query=${encodeURIComponent('subject:curl')}&timeout=10s`]);
    const waiters = sandbox.context.waiters;
    await new Promise<void>((resolve) => {
      if (waiters.active === 1) return resolve();
      const off = waiters.on('waiters.changed', (n) => n === 1 && (off(), resolve()));
    });
    const posted = await run(['--fail-with-body', '-H', 'Content-Type: message/rfc822', '--data-binary', `@${file}`, `${base}/api/v1/messages`]);
    expect(posted.code).toBe(0);
    const summary = JSON.parse(posted.stdout);
    expect(summary.mailboxes).toEqual(['ann@example.test']);
    const waited = await waiting;
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout).messages.map((m: { id: string }) => m.id)).toEqual([summary.id]);
    const raw = await run([`${base}/api/v1/messages/${summary.id}/raw`]);
    expect(raw.stdout).toBe('From: app@example.test\r\nTo: ann@example.test\r\nSubject: Welcome from curl\r\n\r\nHello Ann\r\n');
  });

  it('gets a 408 exit status for a wait that times out', async () => {
    const res = await run(['--fail-with-body', '--write-out', '\n%{http_code}', `${sandbox.url}/api/v1/messages/wait?timeout=20ms`]);
    expect(res.code).toBe(22);
    expect(res.stdout.trim().endsWith('408')).toBe(true);
  });
});
