import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { httpSandbox, inject, simpleEml } from './http-helpers.js';

/**
 * Issue 9 §3 (SPEC §10, precise answers): a body past an endpoint's limit is answered 413 at once — before any of
 * it is read when Content-Length says so, and the moment a chunked body passes the limit.
 */
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const maxMessageSize = 64 * 1024;
const jsonLimit = 1000;

/** Every endpoint that takes a body, with its content type and limit. */
async function endpoints(s: Sandbox): Promise<Array<{ name: string; method: string; path: string; type: string; limit: number }>> {
  const id = (await (await inject(s, simpleEml())).json() as { id: string }).id;
  return [
    { name: 'POST /api/v1/messages (raw inject)', method: 'POST', path: '/api/v1/messages?mailbox=a@example.test', type: 'message/rfc822', limit: maxMessageSize },
    { name: 'PATCH /api/v1/messages/:id (JSON)', method: 'PATCH', path: `/api/v1/messages/${id}`, type: 'application/json', limit: jsonLimit },
  ];
}

async function start(): Promise<Sandbox> {
  sandbox = await httpSandbox({ maxMessageSize, limits: { httpJsonBody: jsonLimit } });
  return sandbox;
}

/** A raw connection that collects what the server sends until it closes (a reset counts as closed). */
function open(port: number): { socket: Socket; received: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  const received = new Promise<string>((resolve) => {
    let data = '';
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('close', () => resolve(data));
    socket.on('error', () => undefined);
  });
  return { socket, received };
}

/** Resolves with the response head as soon as a status line has arrived. */
function statusLine(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const onData = (c: Buffer) => {
      data += c.toString('latin1');
      const end = data.indexOf('\r\n');
      if (end >= 0) {
        socket.off('data', onData);
        resolve(data.slice(0, end));
      }
    };
    socket.on('data', onData);
  });
}

describe('HTTP 413 before the body is read', () => {
  it('answers Content-Length: 1000000000000 with 413 at once on every endpoint that takes a body, though no body byte is sent', async () => {
    const s = await start();
    for (const e of await endpoints(s)) {
      const { socket, received } = open(s.ports.http!);
      const head = statusLine(socket);
      socket.write(`${e.method} ${e.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${e.type}\r\nContent-Length: 1000000000000\r\n\r\n`);
      expect(await head, e.name).toMatch(/^HTTP\/1\.1 413 /);
      // The rest of the body will never be read, so the server closes rather than wait for a trillion bytes.
      const all = await received;
      expect(all).toMatch(/connection: close/i);
      expect(all).toContain('"too_large"');
    }
    expect(s.store.size).toBe(1);
  });

  it('answers 413 for a Content-Length just past the limit and accepts one at the limit (inject)', async () => {
    const s = await start();
    const atLimit = Buffer.concat([simpleEml({ to: 'a@example.test' }), Buffer.alloc(maxMessageSize, 'x')]).subarray(0, maxMessageSize);
    expect((await inject(s, atLimit)).status).toBe(201);
    const res = await inject(s, Buffer.concat([atLimit, Buffer.from('x')]));
    expect(res.status).toBe(413);
    expect((await res.json() as any).error.code).toBe('too_large');
  });

  it('cuts a chunked body off with 413 as soon as it passes the limit, on every endpoint that takes a body, while the client is still sending', async () => {
    const s = await start();
    for (const e of await endpoints(s)) {
      const { socket, received } = open(s.ports.http!);
      const head = statusLine(socket);
      socket.write(`${e.method} ${e.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${e.type}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      // Send the limit and one chunk more, then keep the request open: no terminating 0-chunk is ever sent.
      const chunk = Buffer.alloc(Math.min(e.limit, 16 * 1024), e.type === 'application/json' ? ' ' : 'x');
      let sent = 0;
      while (sent <= e.limit) {
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n');
        sent += chunk.length;
      }
      expect(await head, e.name).toMatch(/^HTTP\/1\.1 413 /);
      expect(await received).toContain('"too_large"');
    }
    expect(s.store.size).toBe(1);
  });

  it('accepts a chunked body within the limit on every endpoint', async () => {
    const s = await start();
    for (const e of await endpoints(s)) {
      const body = e.type === 'application/json' ? '{"seen":true}' : simpleEml({ to: 'a@example.test' }).toString();
      const res = await fetch(`${s.url}${e.path}`, {
        method: e.method,
        headers: { 'content-type': e.type },
        body: new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(body)), c.close()) }),
        duplex: 'half',
      } as RequestInit);
      expect(res.status, e.name).toBeLessThan(300);
    }
  });

  it('refuses a huge Content-Length on an endpoint that takes no body at once too', async () => {
    const s = await start();
    await inject(s, simpleEml());
    const { socket } = open(s.ports.http!);
    const head = statusLine(socket);
    socket.write(`DELETE /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\n`);
    expect(await head).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
    expect(s.store.size).toBe(1);
  });

  it('keeps serving other clients after refusing oversized bodies', async () => {
    const s = await start();
    const { socket } = open(s.ports.http!);
    const head = statusLine(socket);
    socket.write(`POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: message/rfc822\r\nContent-Length: 99999999999\r\n\r\n`);
    await head;
    expect((await fetch(`${s.url}/api/v1/info`)).status).toBe(200);
    socket.destroy();
  });
});
