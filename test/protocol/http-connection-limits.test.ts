import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { defaultLimits } from '../../src/config.js';
import { httpSandbox } from './http-helpers.js';

/**
 * Issue 10, finding 9, HTTP part (SPEC §10 "Connections"): 1201 idle sockets made the UI unreachable. Now one
 * address gets half of the slots, and sockets that don't complete a request are closed by the header timeout.
 */
let sandbox: Sandbox | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await sandbox?.close();
  sandbox = undefined;
});

/**
 * A connected socket from `localAddress`, or null when the server refused it (503 or closed). With `allowHalfOpen`
 * it does not close its side when the server closes its own, as a client that never reads doesn't.
 */
function idleSocket(port: number, localAddress = '127.0.0.1', allowHalfOpen = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress, allowHalfOpen });
    sockets.push(socket);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the first bytes the server sends. */
function firstData(socket: Socket): Promise<string> {
  return new Promise((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString('latin1'))));
}

/** Resolves with what the server sent once it closes the socket, and how long that took. */
function closedBy(socket: Socket): Promise<{ data: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve({ data, ms: Date.now() - started }));
  });
}

describe('HTTP timeouts', () => {
  it('defaults to a 10 s header timeout and a 60 s request timeout, reported by /api/v1/info', async () => {
    expect(defaultLimits.httpHeadersTimeoutMs).toBe(10_000);
    expect(defaultLimits.httpRequestTimeoutMs).toBe(60_000);
    sandbox = await httpSandbox();
    const info = (await (await fetch(`${sandbox.url}/api/v1/info`)).json()) as { limits: Record<string, number> };
    expect(info.limits.httpHeadersTimeoutMs).toBe(10_000);
    expect(info.limits.httpRequestTimeoutMs).toBe(60_000);
  });

  it('closes a connection that never sends a byte after the header timeout', async () => {
    sandbox = await httpSandbox({ limits: { httpHeadersTimeoutMs: 500, httpRequestTimeoutMs: 2000 } });
    const closed = await closedBy(await idleSocket(sandbox.ports.http!));
    expect(closed.ms).toBeLessThan(5000);
  });

  it('answers 408 to a client that dribbles its headers past the header timeout, and closes', async () => {
    sandbox = await httpSandbox({ limits: { httpHeadersTimeoutMs: 500, httpRequestTimeoutMs: 2000 } });
    const socket = await idleSocket(sandbox.ports.http!);
    const closed = closedBy(socket);
    socket.write('GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const timer = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
    const result = await closed;
    clearInterval(timer);
    expect(result.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(result.ms).toBeLessThan(5000);
  });

  it('closes a request whose body trickles in past the request timeout', async () => {
    sandbox = await httpSandbox({ limits: { httpHeadersTimeoutMs: 300, httpRequestTimeoutMs: 800 } });
    const socket = await idleSocket(sandbox.ports.http!);
    const closed = closedBy(socket);
    socket.write('POST /api/v1/messages?mailbox=a@example.test HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: message/rfc822\r\nContent-Length: 100000\r\n\r\n');
    const timer = setInterval(() => socket.writable && socket.write('x'), 100);
    const result = await closed;
    clearInterval(timer);
    expect(result.ms).toBeLessThan(5000);
    expect(sandbox.store.size).toBe(0);
  });

  it('does not cut off a long-poll that waits longer than the request timeout: the wait ends with its own 408', async () => {
    sandbox = await httpSandbox({ limits: { httpHeadersTimeoutMs: 300, httpRequestTimeoutMs: 500 } });
    const res = await fetch(`${sandbox.url}/api/v1/messages/wait?timeout=2s&query=nothing`);
    expect(res.status).toBe(408);
    expect(((await res.json()) as any).error.code).toBeDefined();
  });
});

describe('HTTP connection slots', () => {
  it('gives one remote address at most half of the slots, so idle sockets from 127.0.0.2 leave the UI reachable', async () => {
    // 20 slots in all (maxConnections + maxWaiters), 10 per address.
    sandbox = await httpSandbox({ limits: { maxConnections: 10, maxWaiters: 10 } });
    const port = sandbox.ports.http!;
    const held = await Promise.all(Array.from({ length: 10 }, () => idleSocket(port, '127.0.0.2')));
    const refused = closedBy(await idleSocket(port, '127.0.0.2'));
    const result = await refused;
    expect(result.data).toMatch(/^HTTP\/1\.1 503 /);
    expect(result.data).toContain('too_many_connections');
    expect(held.every((s) => !s.destroyed)).toBe(true);
    const ui = await fetch(`${sandbox.url}/`);
    expect(ui.status).toBe(200);
    expect((await fetch(`${sandbox.url}/api/v1/info`)).status).toBe(200);
  });

  it('counts no slot for a refused socket while it goes: another address is served, not reset', async () => {
    // 4 slots, 2 per address. 127.0.0.2 takes its 2 and is refused 2 more, which it never closes (half-open, as a
    // client that does not read): the server holds those for up to a second after its 503.
    sandbox = await httpSandbox({ limits: { maxConnections: 2, maxWaiters: 2 } });
    const port = sandbox.ports.http!;
    const held = [await idleSocket(port, '127.0.0.2', true), await idleSocket(port, '127.0.0.2', true)];
    // Their 503 has arrived (so the server has refused them), and they are still open.
    const refused = await Promise.all([0, 1].map(async () => firstData(await idleSocket(port, '127.0.0.2', true))));
    for (const r of refused) expect(r).toMatch(/^HTTP\/1\.1 503 /);
    const res = await fetch(`${sandbox.url}/api/v1/info`);
    expect(res.status).toBe(200);
    expect(held.every((s) => !s.destroyed)).toBe(true);
  });

  it('gives the slot back when a socket closes', async () => {
    sandbox = await httpSandbox({ limits: { maxConnections: 1, maxWaiters: 1 } });
    const port = sandbox.ports.http!;
    const first = await idleSocket(port, '127.0.0.2');
    const gone = closedBy(first);
    first.destroy();
    await gone;
    // The server sees the close a moment after the client: retry until the slot is free (bounded), never sleep.
    let status = '';
    for (let attempt = 0; attempt < 100 && !status.startsWith('HTTP/1.1 200'); attempt++) {
      const next = await idleSocket(port, '127.0.0.2');
      next.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      status = (await closedBy(next)).data;
    }
    expect(status).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('with the default limits, 1201 idle sockets from one address leave the UI reachable from another, within bounds', async () => {
    sandbox = await httpSandbox();
    const port = sandbox.ports.http!;
    const started = Date.now();
    // Half-open: the refused ones stay until the server gives up on them (a second), so the UI request below comes
    // while all 1201 are still connected. Refused sockets must not count against the slots of everyone else.
    const results = await Promise.allSettled(Array.from({ length: 1201 }, () => idleSocket(port, '127.0.0.2', true)));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(0);
    const res = await fetch(`${sandbox.url}/api/v1/info`);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
