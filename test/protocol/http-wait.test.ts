import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { api, apiJson, httpSandbox, inject, simpleEml } from './http-helpers.js';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await httpSandbox();
});
afterEach(async () => {
  await sandbox.close();
});

const waiters = () => sandbox.context.waiters;

/** Resolves once the registry has exactly `n` blocked waits (the request reached the server and is parked). */
function waitersReach(n: number): Promise<void> {
  return new Promise((resolve) => {
    if (waiters().active === n) return resolve();
    const off = waiters().on('waiters.changed', (active) => {
      if (active !== n) return;
      off();
      resolve();
    });
  });
}

describe('GET /api/v1/messages/wait', () => {
  it('resolves when a matching message arrives after the request', async () => {
    const pending = apiJson(sandbox, `/api/v1/messages/wait?query=${encodeURIComponent('subject:reset')}&timeout=10s`);
    await waitersReach(1);
    await inject(sandbox, simpleEml({ subject: 'Welcome' }));
    await inject(sandbox, simpleEml({ subject: 'Reset your password' }));
    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(body.messages.map((m: { subject: string }) => m.subject)).toEqual(['Reset your password']);
    expect(waiters().active).toBe(0);
  });

  it('does not count mail stored before the request unless since says so', async () => {
    const old = await (await inject(sandbox, simpleEml({ subject: 'old' }))).json() as any;
    const timedOut = await apiJson(sandbox, '/api/v1/messages/wait?timeout=50ms');
    expect(timedOut.status).toBe(408);
    const start = await apiJson(sandbox, '/api/v1/messages/wait?timeout=50ms&since=start');
    expect(start.body.messages.map((m: { id: string }) => m.id)).toEqual([old.id]);
    const newer = await (await inject(sandbox, simpleEml({ subject: 'newer' }))).json() as any;
    const afterId = await apiJson(sandbox, `/api/v1/messages/wait?timeout=50ms&since=${old.id}`);
    expect(afterId.body.messages.map((m: { id: string }) => m.id)).toEqual([newer.id]);
  });

  it('takes an ISO timestamp or epoch milliseconds as since', async () => {
    const cut = Date.now() - 60_000;
    sandbox.store.deliver({ raw: simpleEml({ subject: 'ancient' }), envelope: { mailFrom: '', rcptTo: ['a@x.test'] }, source: 'api', receivedAt: new Date(cut - 1000) });
    sandbox.store.deliver({ raw: simpleEml({ subject: 'recent' }), envelope: { mailFrom: '', rcptTo: ['a@x.test'] }, source: 'api' });
    for (const since of [String(cut), new Date(cut).toISOString()]) {
      const { body } = await apiJson(sandbox, `/api/v1/messages/wait?timeout=50ms&since=${encodeURIComponent(since)}`);
      expect(body.messages.map((m: { subject: string }) => m.subject)).toEqual(['recent']);
    }
  });

  it('waits for count messages and returns them oldest first', async () => {
    const pending = apiJson(sandbox, '/api/v1/messages/wait?count=2&timeout=10s&mailbox=ann@example.test');
    await waitersReach(1);
    await inject(sandbox, simpleEml({ to: 'ann@example.test', subject: 'one' }));
    await inject(sandbox, simpleEml({ to: 'bob@example.test', subject: 'not for ann' }));
    expect(waiters().active).toBe(1);
    await inject(sandbox, simpleEml({ to: 'ann@example.test', subject: 'two' }));
    const { body } = await pending;
    expect(body.messages.map((m: { subject: string }) => m.subject)).toEqual(['one', 'two']);
  });

  it('answers 408 JSON on timeout, listing briefly what did arrive', async () => {
    const pending = apiJson(sandbox, '/api/v1/messages/wait?query=subject:never&timeout=300ms');
    await waitersReach(1);
    // In-process, so the arrival lands well inside the 300 ms even on a loaded machine.
    await sandbox.deliver(simpleEml({ subject: 'Something else', to: 'zed@example.test' }), { to: 'zed@example.test' });
    const { status, body } = await pending;
    expect(status).toBe(408);
    expect(body.error.code).toBe('timeout');
    expect(body.found).toBe(0);
    expect(body.arrivedCount).toBe(1);
    expect(body.arrived).toEqual([{ id: expect.any(String), subject: 'Something else', from: 'alice@example.test', to: ['zed@example.test'] }]);
    expect(waiters().active).toBe(0);
  });

  it.each([['timeout=0'], ['timeout=301s'], ['timeout=abc'], ['count=0'], ['since=not-a-thing']])('answers 400 for %s', async (qs) => {
    const { status, body } = await apiJson(sandbox, `/api/v1/messages/wait?${qs}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('bad_request');
  });

  it('releases the waiter when the client goes away', async () => {
    const req = httpRequest({ host: '127.0.0.1', port: sandbox.ports.http!, path: '/api/v1/messages/wait?timeout=60s' });
    req.on('error', () => undefined);
    req.end();
    await waitersReach(1);
    req.destroy();
    await waitersReach(0);
    expect(sandbox.context.waiters.active).toBe(0);
  });

  it('refuses waits beyond the cap with 429', async () => {
    await sandbox.close();
    sandbox = await httpSandbox({ limits: { maxWaiters: 2 } });
    const a = apiJson(sandbox, '/api/v1/messages/wait?timeout=10s');
    const b = apiJson(sandbox, '/api/v1/messages/wait?timeout=10s');
    await waitersReach(2);
    const refused = await apiJson(sandbox, '/api/v1/messages/wait?timeout=10s');
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('too_many_waiters');
    expect(refused.res.headers.get('retry-after')).toBe('1');
    await inject(sandbox, simpleEml());
    expect((await a).status).toBe(200);
    expect((await b).status).toBe(200);
  });

  it('ends pending waits with 503 when the server closes', async () => {
    const pending = apiJson(sandbox, '/api/v1/messages/wait?timeout=60s');
    await waitersReach(1);
    const closed = sandbox.close();
    const { status, body } = await pending;
    expect(status).toBe(503);
    expect(body.error.code).toBe('closing');
    await closed;
    expect(waiters().active).toBe(0);
  });

  it('is not mistaken for a message id', async () => {
    const res = await api(sandbox, '/api/v1/messages/wait?timeout=1ms');
    expect(res.status).toBe(408);
    await res.arrayBuffer();
  });
});
