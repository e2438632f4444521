import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { httpSandbox, inject, rawRequest, simpleEml } from './http-helpers.js';

/**
 * Issue 10, finding 3 (SPEC §8): every `/api` request another site's page makes is refused, whatever the method —
 * a cross-site GET of `/messages/wait` can't be read but can be timed, and that leaked one-time codes.
 * (The same attack from a real page in Chromium is in test/e2e/cross-site-oracle.test.ts.)
 */
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(): Promise<Sandbox> {
  sandbox = await httpSandbox();
  await inject(sandbox, simpleEml({ subject: 'Your verification code is 424242' }));
  return sandbox;
}

const waitPath = `/api/v1/messages/wait?since=start&timeout=5s&query=${encodeURIComponent('"verification code is 4"')}`;

describe('cross-site reads of the API', () => {
  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }],
    ['Sec-Fetch-Site: same-site (another port of localhost)', { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' }],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['an Origin on another port', { origin: 'http://127.0.0.1:1' }],
    ['Origin: null', { origin: 'null' }],
  ])('refuses a GET of /messages/wait with %s at once with 403, match or not', async (_what, headers: Record<string, string>) => {
    const s = await start();
    const res = await rawRequest(s.ports.http!, { path: waitPath, headers });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('cross_site');
    const miss = await rawRequest(s.ports.http!, { path: waitPath.replace('code%20is%204', 'code%20is%209'), headers });
    expect(miss.status).toBe(403);
  });

  it.each([['GET', '/api/v1/messages'], ['GET', '/api/v1/info'], ['HEAD', '/api/v1/messages'], ['OPTIONS', '/api/v1/messages'], ['GET', '/api/v1/nope']])(
    'refuses %s %s from another site',
    async (method, path) => {
      const s = await start();
      expect((await rawRequest(s.ports.http!, { method, path, headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    },
  );

  it('lets same-origin, user-typed (none) and header-less requests through', async () => {
    const s = await start();
    const port = s.ports.http!;
    for (const headers of [{ 'sec-fetch-site': 'same-origin', origin: `http://127.0.0.1:${port}` }, { 'sec-fetch-site': 'none' }, {}] as Array<Record<string, string>>) {
      const res = await rawRequest(port, { path: waitPath, headers });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).messages[0].subject).toContain('424242');
    }
  });

  it('marks API responses Cross-Origin-Resource-Policy: same-origin, refusals included', async () => {
    const s = await start();
    const ok = await rawRequest(s.ports.http!, { path: '/api/v1/messages' });
    expect(ok.headers['cross-origin-resource-policy']).toBe('same-origin');
    const refused = await rawRequest(s.ports.http!, { path: '/api/v1/messages', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(refused.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('leaves the UI page itself reachable by navigation from another site (a link to the UI works)', async () => {
    const s = await start();
    expect((await rawRequest(s.ports.http!, { path: '/', headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } })).status).toBe(200);
  });
});
