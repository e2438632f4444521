import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';

const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const allZero = ['--smtp-port', '0', '--submission-port', '0', '--smtps-port', '0', '--pop3-port', 'off', '--pop3s-port', 'off', '--imap-port', 'off', '--imaps-port', 'off', '--http-port', '0'];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts the built CLI and resolves with its JSON ready line. */
function start(args: string[]): Promise<{ ports: Record<string, number | null>; ui: string }> {
  const child = spawn(process.execPath, [cliPath, '--json-banner', '--log-level', 'silent', ...allZero, ...args]);
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ready: ${err}`)));
  });
}

describe('the team-sandbox flags of the CLI', () => {
  it('posts signed webhooks, relays with the allow-list and serves /metrics when started with the flags', async () => {
    const target = await createSandbox({ http: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, logLevel: 'silent' });
    const hooks: Array<{ req: IncomingMessage; body: string }> = [];
    let hookArrived!: () => void;
    const firstHook = new Promise<void>((resolve) => (hookArrived = resolve));
    const hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push({ req, body });
        res.writeHead(200).end();
        hookArrived();
      });
    });
    hookServer.listen(0, '127.0.0.1');
    await once(hookServer, 'listening');
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as { port: number }).port}/hook`;
    try {
      const sandbox = await start([
        '--relay', `smtp://127.0.0.1:${target.ports.smtp}?starttls=never`,
        '--relay-allow', '*@example.test',
        '--webhook', hookUrl,
        '--webhook-secret', 'cli-secret',
      ]);
      const send = await fetch(`${sandbox.ui}/api/v1/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: 'app@example.test', to: 'ann@example.test', subject: 'From the CLI', text: 'hi' }),
      });
      expect(send.status).toBe(201);
      const { id } = (await send.json()) as { id: string };
      await firstHook;
      expect(JSON.parse(hooks[0].body)).toMatchObject({ type: 'message.added', data: { id } });
      expect(hooks[0].req.headers['x-mailsandbox-signature']).toBe(`sha256=${createHmac('sha256', 'cli-secret').update(hooks[0].body).digest('hex')}`);

      const arrived = target.waitForMessage({ subject: 'From the CLI' });
      const release = await fetch(`${sandbox.ui}/api/v1/messages/${id}/release`, { method: 'POST' });
      expect(release.status).toBe(200);
      await arrived;
      const refused = await fetch(`${sandbox.ui}/api/v1/messages/${id}/release`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"to":["x@elsewhere.test"]}' });
      expect(refused.status).toBe(422);

      const metrics = await (await fetch(`${sandbox.ui}/metrics`)).text();
      expect(metrics).toMatch(/^mailsandbox_messages_received_total\{protocol="api"\} 1$/m);
    } finally {
      hookServer.close();
      await target.close();
    }
  });
});
