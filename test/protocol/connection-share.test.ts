import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { Limits } from '../../src/config.js';

// Issue 10 finding 9: 201 idle SMTP connections from 127.0.0.2 locked 127.0.0.1 out; idle timers reset on any byte.
// 127.0.0.2 and 127.0.0.3 are local addresses on Linux (all of 127/8 is loopback), so each test client can pick
// its source address.

let sandbox: Sandbox | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await sandbox?.close();
  sandbox = null;
});

async function start(limits: Partial<Limits>): Promise<Sandbox> {
  sandbox = await createSandbox({ logLevel: 'silent', http: { port: false }, limits });
  return sandbox;
}

/** Connects from `from` and resolves with the server's first line (or '' if it closed without one). */
function firstLine(port: number, from: string, secure: boolean): Promise<{ line: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const raw = netConnect({ host: '127.0.0.1', port, localAddress: from });
    const socket: Socket = secure ? tlsConnect({ socket: raw, rejectUnauthorized: false }) : raw;
    if (secure) sockets.push(raw);
    sockets.push(socket);
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const i = text.indexOf('\r\n');
      if (i >= 0) resolve({ line: text.slice(0, i), socket });
    });
    socket.on('close', () => resolve({ line: text, socket }));
    socket.on('error', reject);
  });
}

const cases = [
  ['smtp', false, /^220 /, /^421 4\.7\.0 .*from your address/],
  ['smtps', true, /^220 /, /^421 4\.7\.0 .*from your address/],
  ['pop3', false, /^\+OK /, /^-ERR .*from your address/],
  ['pop3s', true, /^\+OK /, /^-ERR .*from your address/],
  ['imap', false, /^\* OK /, /^\* BYE .*from your address/],
  ['imaps', true, /^\* OK /, /^\* BYE .*from your address/],
] as const;

describe('one remote address', () => {
  it.each(cases)('takes at most its share (half) of the %s listener’s slots; other addresses still get in', async (name, secure, greeting, refusal) => {
    const sb = await start({ maxConnections: 4, maxConnectionsPerAddress: 2 });
    const port = sb.ports[name]!;
    expect((await firstLine(port, '127.0.0.2', secure)).line).toMatch(greeting);
    expect((await firstLine(port, '127.0.0.2', secure)).line).toMatch(greeting);
    expect((await firstLine(port, '127.0.0.2', secure)).line).toMatch(refusal);
    expect((await firstLine(port, '127.0.0.3', secure)).line).toMatch(greeting);
    expect((await firstLine(port, '127.0.0.1', secure)).line).toMatch(greeting);
  });
});

describe('idle connections before login', () => {
  it('get 30 s by default, reported by /api/v1/info', async () => {
    sandbox = await createSandbox({ logLevel: 'silent' });
    const info = (await (await fetch(`${sandbox.url}/api/v1/info`)).json()) as { limits: Record<string, number> };
    expect(info.limits).toMatchObject({ maxConnections: 200, maxConnectionsPerAddress: 100, preLoginIdleMs: 30_000, preLoginBadCommands: 3, authFailures: 3, authFailureDelayMs: 500 });
  });

  it.each([
    ['smtp', /^421 /],
    ['pop3', /^-ERR Idle timeout/],
    ['imap', /^\* BYE Autologout/],
  ] as const)('are closed on %s at the pre-login idle time even when a byte arrives every 100 ms', async (name, goodbye) => {
    const sb = await start({ preLoginIdleMs: 600 });
    const { socket } = await firstLine(sb.ports[name]!, '127.0.0.1', false);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const started = Date.now();
    // Bytes of a line that is never finished: not a command, so they must not keep the connection alive.
    const drip = setInterval(() => socket.write('N'), 100);
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(received).toMatch(new RegExp(goodbye.source, 'm'));
  });

  it('stay open on POP3 while complete commands keep arriving', async () => {
    const sb = await start({ preLoginIdleMs: 600 });
    const { socket } = await firstLine(sb.ports.pop3!, '127.0.0.1', false);
    let replies = 0;
    socket.on('data', (d: Buffer) => (replies += (d.toString('latin1').match(/^\+OK/gm) ?? []).length));
    for (let i = 0; i < 12; i++) {
      socket.write('CAPA\r\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // 1.2 s of commands, twice the idle time: still open.
    expect(socket.destroyed).toBe(false);
    expect(replies).toBeGreaterThan(0);
  });
});
