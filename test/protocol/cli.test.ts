import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const allZero = ['--smtp-port', '0', '--submission-port', '0', '--smtps-port', '0', '--pop3-port', '0', '--pop3s-port', '0', '--imap-port', '0', '--imaps-port', '0', '--http-port', '0'];
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
    for (const name of ['smtp', 'submission', 'smtps', 'pop3', 'pop3s', 'imap', 'imaps', 'http']) expect(ready.ports[name]).toBeGreaterThan(0);
    expect(ready.ui).toBe(`http://127.0.0.1:${ready.ports.http}`);
    child.kill('SIGTERM');
    const { code, stdout, stderr } = await done;
    expect(stderr).toContain('SIGTERM: shutting down');
    expect(code).toBe(0);
    // The plain ports offer no upgrade by default; the submission port always does (SPEC §3).
    expect(stdout).toMatch(/SMTP\s+smtp:\/\/127\.0\.0\.1:\d+\n/);
    expect(stdout).toMatch(/SUBMIT\s+smtp:\/\/127\.0\.0\.1:\d+ \(STARTTLS\)/);
    expect(stdout).toMatch(/TLS\s+certificate SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\n/);
    expect(stdout).toContain(`download: http://127.0.0.1:${ready.ports.http}/api/v1/tls/certificate`);
    expect(stdout).toMatch(/IMAPS\s+imaps:\/\/127\.0\.0\.1:\d+ \(TLS\)/);
    expect(stdout).toMatch(/UI\s+http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('takes settings from env vars and turns listeners off', async () => {
    const child = run(['--json-banner', '--smtp-port', '0', '--submission-port', '0', '--imap-port', '0', '--pop3s-port', '0', '--http-port', '0', '--no-imaps'], { MAILSANDBOX_POP3_PORT: 'off', MAILSANDBOX_SMTPS_PORT: 'off', MAILSANDBOX_SMTP_PORT: '1' });
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
      expect(stderr).toContain(`SMTP port ${port} (--smtp-port) is in use: another mailsandbox? Use --smtp-port 0 or --ports 0`);
    } finally {
      blocker.close();
    }
  });

  it('names every busy port at once, each with its flag and a hint, and exits 2', async () => {
    const blockers = [createServer().listen(0, '127.0.0.1'), createServer().listen(0, '127.0.0.1')];
    await Promise.all(blockers.map((b) => once(b, 'listening')));
    const [smtp, imaps] = blockers.map((b) => (b.address() as { port: number }).port);
    try {
      const { code, stderr } = await finish(run(['--ports', '0', '--smtp-port', String(smtp), '--imaps-port', String(imaps)]));
      expect(code).toBe(2);
      expect(stderr).toContain(`SMTP port ${smtp} (--smtp-port) is in use`);
      expect(stderr).toContain(`IMAPS port ${imaps} (--imaps-port) is in use: another mailsandbox? Use --imaps-port 0 or --ports 0`);
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      for (const b of blockers) b.close();
    }
  });

  it('puts every listener not given its own port on a free port with --ports 0 (and MAILSANDBOX_PORTS=0)', async () => {
    for (const [args, env] of [[['--ports', '0', '--no-pop3s'], {}], [['--no-pop3s'], { MAILSANDBOX_PORTS: '0' }]] as const) {
      const child = run(['--json-banner', ...args], env);
      const done = finish(child);
      const ready = await readyLine(child);
      for (const name of ['smtp', 'submission', 'smtps', 'pop3', 'imap', 'imaps', 'http']) {
        expect(ready.ports[name]).toBeGreaterThan(0);
        expect(ready.ports[name]).not.toBe({ smtp: 1025, submission: 1587, smtps: 1465, pop3: 1110, imap: 1143, imaps: 1993, http: 8025 }[name]);
      }
      expect(ready.ports.pop3s).toBeNull();
      child.kill('SIGTERM');
      expect((await done).code).toBe(0);
    }
  });

  it('names the environment variable a bad value came from', async () => {
    const { code, stderr } = await finish(run(['--ports', '0'], { MAILSANDBOX_SMTP_PORT: 'abc', MAILSANDBOX_MAX_MESSAGE_SIZE: 'big' }));
    expect(code).toBe(2);
    expect(stderr).toContain('MAILSANDBOX_SMTP_PORT must be a port number or off, got "abc"');
    expect(stderr).toContain('MAILSANDBOX_MAX_MESSAGE_SIZE must be a size');
    expect(stderr).not.toContain('--smtp-port must');
  });

  it.each([['0.0.0.0.0'], ['256.1.1.1'], ['bad host']])('refuses --host %s with a clear message and exit 2, no stack trace', async (host) => {
    const { code, stderr } = await finish(run(['--ports', '0', '--host', host]));
    expect(code).toBe(2);
    expect(stderr).toContain(`host must be an IP address or host name, got ${JSON.stringify(host)}`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a host name that does not resolve with the --host flag named and exit 2', async () => {
    const { code, stderr } = await finish(run(['--ports', '0', '--host', 'no-such-host.invalid']));
    expect(code).toBe(2);
    expect(stderr).toContain('cannot listen on host "no-such-host.invalid" (--host)');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the CLI goes away with the tool that started it', () => {
  it('stops when its stdin pipe closes (a tool spawned it with the default stdio and went away)', async () => {
    const child = run(['--ports', '0']);
    const done = finish(child);
    const ready = await readyLine(child);
    expect((await fetch(`${ready.ui}/healthz`)).status).toBe(200);
    child.stdin.end();
    const { code, stderr } = await done;
    expect(stderr).toContain('stdin closed: shutting down');
    expect(code).toBe(0);
  });

  it('does not watch a stdin that is /dev/null (a background job, a daemon): only a signal stops it', async () => {
    const child = spawn(process.execPath, [cliPath, '--ports', '0'], { stdio: ['ignore', 'pipe', 'pipe'] }) as unknown as ChildProcessWithoutNullStreams;
    children.push(child);
    const done = finish(child);
    const ready = await readyLine(child);
    // /dev/null is at end-of-file from the start: had it been watched, the sandbox would already be stopping.
    expect((await fetch(`${ready.ui}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    const { code, stderr } = await done;
    expect(stderr).toContain('SIGTERM: shutting down');
    expect(stderr).not.toContain('stdin closed');
    expect(code).toBe(0);
  });

  it('stops when its IPC channel closes (started with fork() or an ipc stdio)', async () => {
    const child = spawn(process.execPath, [cliPath, '--ports', '0'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }) as unknown as ChildProcessWithoutNullStreams;
    children.push(child);
    const done = finish(child);
    await readyLine(child);
    child.disconnect();
    const { code, stderr } = await done;
    expect(stderr).toContain('IPC channel closed: shutting down');
    expect(code).toBe(0);
  });

  it.each([
    ['as its child', false],
    ['through sh -c, as npx runs a bin; the shell outlives the killed tool', true],
  ])('with --exit-with-parent, stops when the tool that started it (%s) is killed without a chance to clean up', async (_how, viaShell) => {
    // A tool that starts the CLI with its own stdin passed on (no pipe to close), prints the CLI's pid, then waits.
    const cliArgs = [cliPath, '--ports', '0', '--json-banner', '--exit-with-parent'];
    const command = viaShell ? `['sh', ['-c', '${process.execPath} ${cliArgs.join(' ')}; true']]` : `[process.execPath, ${JSON.stringify(cliArgs)}]`;
    const parentScript = `
      const { spawn } = require('node:child_process');
      const [file, args] = ${command};
      const cli = spawn(file, args, { stdio: ['inherit', 'inherit', 'inherit'] });
      console.log(JSON.stringify({ cliPid: cli.pid }));
    `;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'pipe'] }) as unknown as ChildProcessWithoutNullStreams;
    children.push(parent);
    let out = '';
    let err = '';
    parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    parent.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Both processes write to these pipes: they close only when the CLI has exited too.
    const cliGone = Promise.all([once(parent.stdout, 'close'), once(parent.stderr, 'close')]);
    const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { cliPid?: number; event?: string; ui?: string });
    await new Promise<void>((resolve) => {
      const check = () => lines().some((l) => l.event === 'ready') && lines().some((l) => l.cliPid) && resolve();
      parent.stdout.on('data', check);
      check();
    });
    const { cliPid } = lines().find((l) => l.cliPid)!;
    const { ui } = lines().find((l) => l.event === 'ready')!;
    expect((await fetch(`${ui}/healthz`)).status).toBe(200);
    try {
      parent.kill('SIGKILL');
      await cliGone;
      expect(err).toMatch(/parent process \d+ exited: shutting down/);
      // Gone, not just quiet (its pid may linger as a zombie until whoever adopted it reaps it): nothing listens.
      await expect(fetch(`${ui}/healthz`)).rejects.toThrow();
    } finally {
      try {
        process.kill(cliPid!, 'SIGKILL');
      } catch {
        // already gone, as it should be
      }
    }
  });
});
