import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { createApp } from '../../src/http/app.js';
import { hasValidBasicAuth, hostName, isAllowedHost, isSameOrigin } from '../../src/http/security.js';
import { apiJson, httpSandbox, inject, rawRequest, simpleEml } from './http-helpers.js';
import { createServer } from 'node:http';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: Parameters<typeof httpSandbox>[0] = {}): Promise<Sandbox> {
  sandbox = await httpSandbox(options);
  return sandbox;
}

const port = () => sandbox!.ports.http!;

describe('cross-site state changes', () => {
  it('refuses a DELETE whose Origin is another site with 403', async () => {
    const s = await start();
    await inject(s, simpleEml());
    const res = await rawRequest(port(), { method: 'DELETE', path: '/api/v1/messages', headers: { origin: 'https://evil.example', host: `127.0.0.1:${port()}` } });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('cross_site');
    expect(s.store.size).toBe(1);
  });

  it('refuses a POST marked Sec-Fetch-Site: cross-site, and a null Origin', async () => {
    const s = await start();
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'null' }] as Array<Record<string, string>>) {
      const res = await rawRequest(port(), { method: 'POST', path: '/api/v1/messages', headers: { 'content-type': 'message/rfc822', ...headers }, body: simpleEml() });
      expect(res.status).toBe(403);
    }
    expect(s.store.size).toBe(0);
  });

  it('refuses a same-host Origin on another port (another local app) from changing state', async () => {
    await start();
    const res = await rawRequest(port(), { method: 'DELETE', path: '/api/v1/messages', headers: { origin: 'http://127.0.0.1:3000' } });
    expect(res.status).toBe(403);
  });

  it('allows the same origin, and non-browser clients that send no Origin', async () => {
    const s = await start();
    await inject(s, simpleEml());
    const same = await rawRequest(port(), { method: 'DELETE', path: '/api/v1/messages', headers: { origin: `http://127.0.0.1:${port()}`, 'sec-fetch-site': 'same-origin' } });
    expect(same.status).toBe(200);
    const plain = await rawRequest(port(), { method: 'DELETE', path: '/api/v1/messages' });
    expect(plain.status).toBe(200);
  });

  it('still lets other sites read nothing: no CORS headers are sent', async () => {
    await start();
    const res = await rawRequest(port(), { path: '/api/v1/messages', headers: { origin: 'https://evil.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('DNS rebinding', () => {
  it.each([['evil.example'], ['evil.example:8025'], ['10.0.0.1'], ['127.0.0.1.evil.example']])('refuses Host %s when bound to loopback', async (host) => {
    await start();
    const res = await rawRequest(port(), { path: '/api/v1/info', headers: { host } });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('forbidden_host');
  });

  it.each([['localhost'], ['LOCALHOST:8025'], ['127.0.0.1'], ['127.1.2.3:80'], ['[::1]:8025'], ['app.localhost']])('accepts Host %s', async (host) => {
    await start();
    expect((await rawRequest(port(), { path: '/api/v1/info', headers: { host } })).status).toBe(200);
  });

  it('checks Host on every bind: a loopback bind takes only loopback names, a wildcard bind refuses foreign names too', () => {
    const wildcard = { loopbackOnly: false, machineName: 'ci-runner', allowed: [] };
    const loopback = { ...wildcard, loopbackOnly: true };
    expect(isAllowedHost(wildcard, 'mail.internal:8025')).toBe(false);
    expect(isAllowedHost(wildcard, 'mailsandbox:8025')).toBe(true);
    expect(isAllowedHost(loopback, 'mail.internal:8025')).toBe(false);
    expect(isAllowedHost(loopback, 'mailsandbox:8025')).toBe(false);
    expect(hostName('[::1]:80')).toBe('::1');
    expect(hostName('localhost:80')).toBe('localhost');
  });

  it('compares Origin with Host by scheme-less host and port', () => {
    expect(isSameOrigin('http://localhost:8025', 'localhost:8025')).toBe(true);
    expect(isSameOrigin('http://localhost:8026', 'localhost:8025')).toBe(false);
    expect(isSameOrigin('file://x', 'localhost:8025')).toBe(false);
    expect(isSameOrigin('not a url', 'localhost:8025')).toBe(false);
  });
});

describe('--ui-auth', () => {
  const auth = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  it('asks for Basic credentials everywhere but /healthz', async () => {
    await start({ uiAuth: 'admin:s3cret' });
    const none = await rawRequest(port(), { path: '/api/v1/messages' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="mailsandbox"/);
    expect((await rawRequest(port(), { path: '/' })).status).toBe(401);
    expect((await rawRequest(port(), { path: '/api/v1/messages', headers: { authorization: auth('admin', 'wrong') } })).status).toBe(401);
    expect((await rawRequest(port(), { path: '/api/v1/messages', headers: { authorization: auth('admin', 's3cret') } })).status).toBe(200);
    expect((await rawRequest(port(), { path: '/healthz' })).status).toBe(200);
  });

  it('accepts passwords containing colons', () => {
    expect(hasValidBasicAuth(auth('u', 'a:b'), { user: 'u', pass: 'a:b' })).toBe(true);
    expect(hasValidBasicAuth('Bearer x', { user: 'u', pass: 'p' })).toBe(false);
  });
});

describe('the UI page', () => {
  it('serves a built-in page with a strict CSP when the UI is not built', async () => {
    const s = await start();
    const dir = mkdtempSync(join(tmpdir(), 'ui-missing-'));
    const server = createServer(createApp({ ctx: s.context, info: () => s.info(), closing: new AbortController().signal }, join(dir, 'nothing')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const p = (server.address() as { port: number }).port;
      const res = await rawRequest(p, { path: '/' });
      expect(res.status).toBe(200);
      expect(res.body).toContain("isn't built");
      expect(res.body).toContain('/api/v1/info');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("connect-src 'self' ws: wss:");
      expect(res.headers['x-frame-options']).toBe('DENY');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('serves index.html and assets from the UI directory, index.html for client routes', async () => {
    const s = await start();
    const dir = mkdtempSync(join(tmpdir(), 'ui-dist-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>UI</title><script type="module" src="/app.js"></script>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    const server = createServer(createApp({ ctx: s.context, info: () => s.info(), closing: new AbortController().signal }, dir));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const p = (server.address() as { port: number }).port;
      expect((await rawRequest(p, { path: '/' })).body).toContain('<title>UI</title>');
      expect((await rawRequest(p, { path: '/messages/abc' })).body).toContain('<title>UI</title>');
      const js = await rawRequest(p, { path: '/app.js' });
      expect(js.headers['content-type']).toMatch(/javascript/);
      expect((await rawRequest(p, { path: '/missing.js' })).status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('keeps API responses out of caches', async () => {
    const s = await start();
    const { res } = await apiJson(s, '/api/v1/messages');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});
