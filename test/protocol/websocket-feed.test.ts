import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Sandbox } from '../../src/index.js';
import { httpSandbox, inject, simpleEml } from './http-helpers.js';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await httpSandbox();
});
afterEach(async () => {
  await sandbox.close();
});

interface Frame {
  type: string;
  data: any;
}

/** A feed client that queues frames and hands them out in order. */
async function connect(headers: Record<string, string> = {}, url = `ws://127.0.0.1:${sandbox.ports.http}/api/v1/events`) {
  const ws = new WebSocket(url, { headers });
  const frames: Frame[] = [];
  const wanted: Array<(f: Frame) => void> = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Frame;
    const take = wanted.shift();
    if (take) take(frame);
    else frames.push(frame);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = () => new Promise<Frame>((resolve) => (frames.length ? resolve(frames.shift()!) : wanted.push(resolve)));
  return { ws, next };
}

function refusal(headers: Record<string, string>, url?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url ?? `ws://127.0.0.1:${sandbox.ports.http}/api/v1/events`, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('error', () => undefined);
  });
}

describe('WebSocket /api/v1/events', () => {
  it('starts with a hello frame giving the counts', async () => {
    await inject(sandbox, simpleEml());
    const { ws, next } = await connect();
    expect(await next()).toEqual({ type: 'hello', data: { version: expect.any(String), messages: 1, lastSeq: 1 } });
    ws.close();
  });

  it('streams message added, updated, deleted and store cleared', async () => {
    const { ws, next } = await connect();
    await next();
    const { id } = await (await inject(sandbox, simpleEml({ to: 'new@example.test', subject: 'live' }))).json() as any;
    expect(await next()).toEqual({ type: 'mailbox.added', data: { address: 'new@example.test' } });
    const added = await next();
    expect(added.type).toBe('message.added');
    expect(added.data).toMatchObject({ id, subject: 'live', seen: false, mailboxes: ['new@example.test'] });
    sandbox.store.setSeen(id, true);
    expect(await next()).toMatchObject({ type: 'message.updated', data: { id, seen: true } });
    sandbox.store.deleteMessage(id);
    expect(await next()).toEqual({ type: 'message.deleted', data: { id } });
    sandbox.clear();
    expect(await next()).toEqual({ type: 'store.cleared', data: {} });
    sandbox.store.deleteMailbox('new@example.test');
    expect(await next()).toEqual({ type: 'mailbox.removed', data: { address: 'new@example.test' } });
    ws.close();
  });

  it('streams protocol sessions with each line as it is recorded', async () => {
    const { ws, next } = await connect();
    await next();
    const s = sandbox.context.sessions.start('pop3', { remoteAddress: '127.0.0.1', tls: false });
    expect(await next()).toMatchObject({ type: 'session.started', data: { id: s.id, protocol: 'pop3', endedAt: null } });
    s.line('C', 'USER ann');
    expect(await next()).toEqual({ type: 'session.line', data: { sessionId: s.id, line: { at: expect.any(Number), dir: 'C', line: 'USER ann' } } });
    s.setUser('ann');
    expect(await next()).toMatchObject({ type: 'session.updated', data: { id: s.id, user: 'ann' } });
    s.end();
    expect(await next()).toMatchObject({ type: 'session.ended', data: { id: s.id, endedAt: expect.any(String) } });
    ws.close();
  });

  it('accepts a same-origin browser and refuses another Origin (cross-site WebSocket hijacking)', async () => {
    const same = await connect({ origin: `http://127.0.0.1:${sandbox.ports.http}` });
    expect((await same.next()).type).toBe('hello');
    same.ws.close();
    expect(await refusal({ origin: 'https://evil.example' })).toBe(403);
    expect(await refusal({ origin: 'null' })).toBe(403);
  });

  it('refuses a non-loopback Host and an unknown path', async () => {
    expect(await refusal({ host: 'evil.example' })).toBe(403);
    expect(await refusal({}, `ws://127.0.0.1:${sandbox.ports.http}/api/v1/other`)).toBe(404);
  });

  it('asks for credentials when --ui-auth is set', async () => {
    await sandbox.close();
    sandbox = await httpSandbox({ uiAuth: 'u:p' });
    expect(await refusal({})).toBe(401);
    const ok = await connect({ authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    expect((await ok.next()).type).toBe('hello');
    ok.ws.close();
  });

  it('unsubscribes from the store and closes clients when the server closes', async () => {
    const { ws, next } = await connect();
    await next();
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    await sandbox.close();
    await closed;
    // A delivery after close must not try to write to a dead feed.
    expect(() => sandbox.store.deliver({ raw: simpleEml(), envelope: { mailFrom: '', rcptTo: ['a@x.test'] }, source: 'api' })).not.toThrow();
  });

  it('cuts off a client that stops reading instead of buffering without bound', async () => {
    const { ws, next } = await connect();
    await next();
    let received = 0;
    ws.on('message', () => received++);
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    // Stop reading: the kernel buffers fill up, then the server-side queue grows past its cap (4 MiB).
    socket.pause();
    const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    const line = 'x'.repeat(1990);
    const total = 20_000; // ~40 MB of frames: far past the kernel's buffers plus the cap, and bounded.
    let session = sandbox.context.sessions.start('smtp', { tls: false });
    for (let i = 0; i < total; i++) {
      if (i % 1500 === 0) session = sandbox.context.sessions.start('smtp', { tls: false });
      session.line('S', line);
      // Let the socket report back-pressure as it would between real events.
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    socket.resume();
    expect(await code).toBe(1006);
    expect(received).toBeLessThan(total);
  });
});
