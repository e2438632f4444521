import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Sandbox } from '../../src/index.js';
import { createApp } from '../../src/http/app.js';
import { attachmentDisposition } from '../../src/http/handlers/messages.js';
import { hasValidBasicAuth, hostName, isAllowedHost, isSameOrigin } from '../../src/http/security.js';
import { hasRemoteContent } from '../../ui/src/util/remote-content.js';
import { displayName } from '../../ui/src/util/display-name.js';
import { parseRoute } from '../../ui/src/state/router.js';
import { api, apiJson, compose, httpSandbox, inject, rawRequest, simpleEml } from './http-helpers.js';
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

// Hostile input against the HTTP server and the UI's pure helpers (SPEC §8 "HTTP safety").

const rlo = '\u202e';

describe('downloads of mail content', () => {
  it('serves the raw message with a sandboxing CSP as well as attachment and nosniff', async () => {
    const s = await start();
    const { id } = (await (await inject(s, simpleEml({ body: '<script>alert(1)</script>' }))).json()) as { id: string };
    const res = await api(s, `/api/v1/messages/${id}/raw`);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
  });

  it('strips right-to-left overrides and other bidi controls from attachment file names', async () => {
    const s = await start();
    const raw = await compose({ to: 'a@example.test', subject: 'rlo', text: 'x', attachments: [{ filename: `invoice${rlo}fdp.exe`, content: 'MZ', contentType: 'application/octet-stream' }] });
    const { id } = (await (await inject(s, raw)).json()) as { id: string };
    const res = await api(s, `/api/v1/messages/${id}/attachments/0`);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}-0.exe"; filename*=UTF-8''invoicefdp.exe`);
    for (const c of ['\u200e', '\u200f', '\u061c', '\u202a', '\u202b', '\u202c', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069']) {
      expect(attachmentDisposition('m-0', `a${c}b.txt`)).toBe(`attachment; filename="m-0.txt"; filename*=UTF-8''ab.txt`);
    }
  });

  it('marks every API response nosniff, errors included, so mail text in JSON is never sniffed as HTML', async () => {
    const s = await start();
    await inject(s, simpleEml({ subject: '<html><script>alert(1)</script>' }));
    for (const path of ['/api/v1/messages', '/api/v1/messages/nope', '/api/v1/<svg onload=alert(1)>', '/api/v1/info']) {
      expect((await api(s, path)).headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });
});

describe('POST /api/v1/messages with hostile addresses', () => {
  it.each(['mailbox=a%00b@example.test', 'mailbox=a%01b@example.test', 'mailbox=ok@example.test,a@ex%7Fample.test', 'mailbox=a@example.test&from=x%01y@example.test', 'mailbox=a@example.test&from=x%1B@example.test'])(
    'refuses control characters in envelope addresses (%s) with 400 and creates no mailbox',
    async (query) => {
      const s = await start();
      const res = await inject(s, simpleEml(), `?${query}`);
      expect(res.status).toBe(400);
      expect(s.store.mailboxes()).toEqual([]);
      expect(s.store.size).toBe(0);
    },
  );
});

describe('the UI helpers on hostile mail', () => {
  it('detects remote content in linear time on megabytes of pathological HTML', () => {
    const hostile = ['url(' + ' '.repeat(2_000_000), 'src=' + ' '.repeat(2_000_000), '<link '.repeat(300_000), ('url(' + ' '.repeat(1000)).repeat(2000), ('<link href="' + ' '.repeat(50)).repeat(30_000)];
    for (const html of hostile) {
      const started = performance.now();
      expect(hasRemoteContent(html)).toBe(false);
      // Quadratic matching took minutes here; linear takes tens of milliseconds even on a slow CI machine.
      expect(performance.now() - started).toBeLessThan(1500);
    }
  });

  it.each([
    ['<img src="https://t.example/p.gif">', true],
    ['<img src=//t.example/p.gif>', true],
    ['<img src = " https://t.example/p.gif">', true],
    ['<img srcset="https://t.example/p.gif 1x">', true],
    ['<td background="http://t.example/bg.png">', true],
    [`<p style="background:url( 'http://t.example/bg.png')">`, true],
    ['<link rel="stylesheet" href="https://t.example/a.css">', true],
    ['<a href="https://t.example/">link</a>', false],
    ['<img src="cid:logo@example.test">', false],
    ['<img src="data:image/png;base64,AAAA">', false],
  ])('decides whether %s loads remote content (%s)', (html, expected) => {
    expect(hasRemoteContent(html)).toBe(expected);
  });

  it('shows file names without bidi controls', () => {
    expect(displayName(`invoice${rlo}fdp.exe`)).toBe('invoicefdp.exe');
  });

  it('routes a hash with a malformed %-escape instead of throwing (a crafted link must not blank the UI)', () => {
    expect(parseRoute('#/messages/%E0%A4%A')).toEqual({ page: 'messages', id: '%E0%A4%A' });
    expect(parseRoute('#/sessions/%')).toEqual({ page: 'sessions', id: '%' });
  });
});

describe('DNS rebinding and cross-site requests', () => {
  it.each([['localhost.'], ['localhost.evil.example'], ['127.0.0.1.nip.io'], ['0.0.0.0'], ['127.1'], ['2130706433'], ['[::ffff:7f00:1]'], ['evil.localhost.'], ['localhost,evil.example']])(
    'refuses Host %s when bound to loopback',
    async (host) => {
      await start();
      expect((await rawRequest(sandbox!.ports.http!, { path: '/api/v1/messages', headers: { host } })).status).toBe(403);
    },
  );

  it('refuses a WebSocket whose Host is not loopback, or whose Origin is another port or a look-alike host', async () => {
    const s = await start();
    const port = s.ports.http!;
    const refusal = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`, { headers });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => reject(new Error(`accepted ${JSON.stringify(headers)}`)));
        ws.once('error', () => undefined);
      });
    expect(await refusal({ host: 'rebound.evil.example' })).toBe(403);
    expect(await refusal({ origin: `http://127.0.0.1:${port + 1}` })).toBe(403);
    expect(await refusal({ origin: `http://127.0.0.1.nip.io:${port}` })).toBe(403);
    expect(await refusal({ origin: `http://localhost:${port}`, host: `127.0.0.1:${port}` })).toBe(403);
  });

  it('refuses a cross-site text/plain form post before it reaches a handler, even with no Origin but Sec-Fetch-Site', async () => {
    const s = await start();
    const port = s.ports.http!;
    const form = { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' };
    expect((await rawRequest(port, { method: 'POST', path: '/api/v1/messages?mailbox=a@example.test', headers: form, body: 'From: x\r\n\r\nhi' })).status).toBe(403);
    expect((await rawRequest(port, { method: 'POST', path: '/api/v1/messages?mailbox=a@example.test', headers: { ...form, 'content-type': 'message/rfc822' }, body: 'From: x\r\n\r\nhi' })).status).toBe(403);
    expect(s.store.size).toBe(0);
  });
});

describe('--ui-auth', () => {
  it.each(['/HEALTHZ', '/healthz/', '/healthz/..', '/healthz/../api/v1/messages', '/healthz%2f..%2fapi/v1/messages', '/%2e%2e/api/v1/messages', '/./healthz', '//healthz', '/healthz;/api/v1/messages'])(
    'asks for credentials on %s, for GET, HEAD and OPTIONS',
    async (path) => {
      const s = await start({ uiAuth: 'admin:pw' });
      for (const method of ['GET', 'HEAD', 'OPTIONS']) {
        const status = await rawStatus(s.ports.http!, `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
        expect(status, `${method} ${path}`).toBe(401);
      }
    },
  );
});

describe('query abuse', () => {
  it('answers a query as long as the request line allows in milliseconds, and a 100 KB library query too', async () => {
    const s = await start();
    for (let i = 0; i < 50; i++) await inject(s, simpleEml({ subject: `m${i}`, body: 'x'.repeat(2000) }));
    for (const q of ['a'.repeat(14_000), '"'.repeat(14_000), '-'.repeat(14_000), 'from:'.repeat(2800), '-"a '.repeat(3500)]) {
      const started = performance.now();
      const res = await api(s, `/api/v1/messages?query=${encodeURIComponent(q)}`);
      expect([200, 431]).toContain(res.status);
      expect(performance.now() - started).toBeLessThan(1000);
    }
    const started = performance.now();
    expect(s.messages({ query: 'from:zzz '.repeat(12_000) })).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

/** The status code of a request written byte for byte (paths that node:http and fetch would normalise). */
function rawStatus(port: number, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.once('error', reject);
  });
}

describe('the static UI', () => {
  it.each(['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/..%5c..%5c..%5cetc%5cpasswd', '/%252e%252e/etc/passwd', '/assets/../../package.json', '/.%2e/package.json'])(
    'never serves a file outside the UI directory for %s',
    async (path) => {
      const s = await start();
      const response = await rawResponse(s.ports.http!, path);
      expect(response).toMatch(/^HTTP\/1\.1 (200|400|403|404) /);
      expect(response).not.toMatch(/root:x:0:0|"name": "mailsandbox"/);
    },
  );
});

/** The whole response to a GET written byte for byte (no client-side path normalisation). */
function rawResponse(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.once('end', () => resolve(text));
    socket.once('error', reject);
  });
}
