import { connect } from 'node:net';
import { createServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { createApp } from '../../src/http/app.js';
import { apiJson, httpSandbox, inject, rawRequest, simpleEml } from './http-helpers.js';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await httpSandbox();
});
afterEach(async () => {
  await sandbox.close();
});

/** Writes bytes on a fresh connection and collects the answer until the server closes it. */
function rawExchange(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(sandbox.ports.http!, '127.0.0.1', () => socket.end(bytes));
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('close', () => resolve(out));
    // Node 24 answers a request it refuses early (431) and resets the connection while the client is still
    // writing: the answer already arrived, so a reset after it is not a failure.
    socket.on('error', (err) => (out ? resolve(out) : reject(err)));
  });
}

async function stillServing(): Promise<void> {
  expect((await apiJson(sandbox, '/healthz')).status).toBe(200);
}

describe('HTTP bad input', () => {
  it.each([
    ['a malformed %-escape in the path', '/api/v1/messages/%E0%A4%A'],
    ['a NUL in a query value', '/api/v1/messages?query=%00%00'],
    ['a repeated parameter', '/api/v1/messages/wait?timeout=1&timeout=2'],
    ['an object-looking parameter', '/api/v1/messages?limit[a]=1'],
  ])('answers %s with 4xx JSON or a normal answer, and keeps serving', async (_name, path) => {
    const res = await rawRequest(sandbox.ports.http!, { path });
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) expect(JSON.parse(res.body).error.code).toEqual(expect.any(String));
    await stillServing();
  });

  it('answers garbage bytes with 400 and keeps serving', async () => {
    const answer = await rawExchange(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    await stillServing();
  });

  it('survives an over-long header line', async () => {
    const answer = await rawExchange(`GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    await stillServing();
  });

  it('survives a client that hangs up mid-upload', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(sandbox.ports.http!, '127.0.0.1', () => {
        socket.write('POST /api/v1/messages?mailbox=a@x.test HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: message/rfc822\r\nContent-Length: 100000\r\n\r\nSubject: half');
        socket.destroy();
        resolve();
      });
    });
    await stillServing();
    expect(sandbox.store.size).toBe(0);
  });

  it('never reflects an id into anything but JSON', async () => {
    const { status, res, body } = await apiJson(sandbox, `/api/v1/messages/${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body.error.message).toContain('<script>');
  });

  it('contains a bug in a handler as a 500 JSON answer, and keeps serving', async () => {
    const app = createApp({
      ctx: sandbox.context,
      info: () => {
        throw new Error('boom');
      },
      closing: new AbortController().signal,
    });
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const res = await rawRequest(port, { path: '/api/v1/info' });
      expect(res.status).toBe(500);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'internal', message: 'Internal error' } });
      expect((await rawRequest(port, { path: '/healthz' })).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('stores nothing for an injected message that is all garbage bytes but still well-framed', async () => {
    const res = await inject(sandbox, Buffer.from([0xff, 0xfe, 0x00, 0x01]), '?mailbox=a@x.test');
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as any;
    const details = await apiJson(sandbox, `/api/v1/messages/${id}`);
    expect(details.status).toBe(200);
    expect((await inject(sandbox, simpleEml())).status).toBe(201);
  });
});
