import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const allZero = ['--smtp-port', '0', '--smtps-port', '0', '--pop3-port', '0', '--pop3s-port', '0', '--imap-port', '0', '--imaps-port', '0', '--http-port', '0'];
const children: ChildProcessWithoutNullStreams[] = [];

function run(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env } });
  children.push(child);
  return child;
}

async function finish(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Resolves with the parsed JSON banner line once the CLI prints it. */
function readyLine(child: ChildProcessWithoutNullStreams): Promise<{ ports: Record<string, number | null>; ui: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ready: ${out}`)));
  });
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('the mailsandbox CLI', () => {
  it('prints help listing the flags and exits 0', async () => {
    const { code, stdout } = await finish(run(['--help']));
    expect(code).toBe(0);
    expect(stdout).toContain('--smtp-port');
    expect(stdout).toContain('MAILSANDBOX_SMTP_PORT');
  });

  it('lists every configuration problem and exits non-zero', async () => {
    const { code, stderr } = await finish(run(['--smtp-port', 'nope', '--max-messages', 'many', '--frobnicate']));
    expect(code).toBe(2);
    expect(stderr).toContain('--smtp-port must be a port number or off');
    expect(stderr).toContain('--max-messages must be a whole number');
    expect(stderr).toContain('unknown option --frobnicate');
  });

  it('starts on free ports, prints the banner and a JSON line, and exits 0 on SIGTERM', async () => {
    const child = run(allZero);
    const done = finish(child);
    const ready = await readyLine(child);
    for (const name of ['smtp', 'smtps', 'pop3', 'pop3s', 'imap', 'imaps', 'http']) expect(ready.ports[name]).toBeGreaterThan(0);
    expect(ready.ui).toBe(`http://127.0.0.1:${ready.ports.http}`);
    child.kill('SIGTERM');
    const { code, stdout, stderr } = await done;
    expect(stderr).toContain('SIGTERM: shutting down');
    expect(code).toBe(0);
    expect(stdout).toMatch(/SMTP\s+smtp:\/\/127\.0\.0\.1:\d+ \(STARTTLS\)/);
    expect(stdout).toMatch(/IMAPS\s+imaps:\/\/127\.0\.0\.1:\d+ \(TLS\)/);
    expect(stdout).toMatch(/UI\s+http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('takes settings from env vars and turns listeners off', async () => {
    const child = run(['--json-banner', '--smtp-port', '0', '--imap-port', '0', '--pop3s-port', '0', '--http-port', '0', '--no-imaps'], { MAILSANDBOX_POP3_PORT: 'off', MAILSANDBOX_SMTPS_PORT: 'off', MAILSANDBOX_SMTP_PORT: '1' });
    const done = finish(child);
    const ready = await readyLine(child);
    expect(ready.ports.pop3).toBeNull();
    expect(ready.ports.smtps).toBeNull();
    expect(ready.ports.imaps).toBeNull();
    expect(ready.ports.smtp).toBeGreaterThan(0);
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
  });

  it('fails with a clear message when a port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, stderr } = await finish(run([...allZero, '--smtp-port', String(port)]));
      expect(code).toBe(2);
      expect(stderr).toMatch(/cannot listen: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
