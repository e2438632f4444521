import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { createClient } from '../../src/api/client.js';
import '../../src/vitest/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = `${root}dist/cli.js`;
const everyPortZero = ['smtp', 'submission', 'smtps', 'pop3', 'pop3s', 'imap', 'imaps', 'http'].flatMap((l) => [`--${l}-port`, '0']);

interface ReadyLine {
  event: 'ready';
  ports: Record<string, number | null>;
  ui: string;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function startCli(args: string[]): { child: ChildProcessWithoutNullStreams; lines: AsyncIterator<string> } {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build:server' first`);
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, MAILSANDBOX_LOG_LEVEL: 'warn' } });
  children.push(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, lines };
}

/** Reads stdout lines until the JSON ready line, returning it and every line before it. */
async function readUntilReady(lines: AsyncIterator<string>, child: ChildProcessWithoutNullStreams): Promise<{ ready: ReadyLine; before: string[] }> {
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const before: string[] = [];
  for (;;) {
    const next = await lines.next();
    if (next.done) throw new Error(`the CLI exited (code ${child.exitCode}) before its ready line; stderr:\n${stderr}`);
    if (next.value.startsWith('{')) {
      const parsed = JSON.parse(next.value) as ReadyLine;
      if (parsed.event === 'ready') return { ready: parsed, before };
    }
    before.push(next.value);
  }
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('the CLI as a background process in a CI job', () => {
  it('prints the ports in its JSON banner, takes mail on them, and exits 0 on SIGTERM', async () => {
    const { child, lines } = startCli(['--json-banner', ...everyPortZero]);
    const { ready, before } = await readUntilReady(lines, child);
    expect(before).toEqual([]);
    for (const name of ['smtp', 'smtps', 'pop3', 'pop3s', 'imap', 'imaps', 'http']) expect(ready.ports[name]).toBeGreaterThan(0);
    expect(ready.ui).toBe(`http://127.0.0.1:${ready.ports.http}`);

    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: ready.ports.smtp!, secure: false, tls: { rejectUnauthorized: false } });
    await transport.sendMail({ from: 'ci@example.test', to: 'ann@example.test', subject: 'From the CI job', text: 'Hello from CI' });
    transport.close();

    const client = createClient(ready.ui);
    const msg = await client.waitForMessage({ to: 'ann@example.test', subject: 'From the CI job' }, { since: 'start', timeout: 10_000 });
    expect(msg.text?.trim()).toBe('Hello from CI');
    await expect(client).toHaveReceivedMail({ from: 'ci@example.test' });

    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });

  it('ends the human banner with the JSON line when stdout is not a terminal', async () => {
    const { child, lines } = startCli(everyPortZero);
    const { ready, before } = await readUntilReady(lines, child);
    expect(before.join("\n")).toContain(`SMTP   smtp://127.0.0.1:${ready.ports.smtp}\n`); // no upgrade offered by default
    expect(before.join("\n")).toContain(`SUBMIT smtp://127.0.0.1:${ready.ports.submission} (STARTTLS)`);
    expect(before.join('\n')).toContain(`UI     ${ready.ui}/`);
    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });

  it('turns listeners off with off and reports them as null', async () => {
    const { child, lines } = startCli(['--json-banner', ...everyPortZero, '--pop3-port', 'off', '--no-imaps']);
    const { ready } = await readUntilReady(lines, child);
    expect(ready.ports.pop3).toBeNull();
    expect(ready.ports.imaps).toBeNull();
    expect(ready.ports.smtp).toBeGreaterThan(0);
    child.kill('SIGTERM');
    expect((await exitOf(child)).code).toBe(0);
  });
});
