import { hostname } from 'node:os';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Sandbox } from '../../src/index.js';
import { ConfigError, parseCli, resolveConfig } from '../../src/config.js';
import { isAllowedHost } from '../../src/http/security.js';
import { httpSandbox, inject, rawRequest, simpleEml } from './http-helpers.js';

/**
 * DNS rebinding (issue 10, finding 4; SPEC §8): an attacker's name resolved to the sandbox's address makes the
 * browser send that name in Host. The Docker image binds 0.0.0.0, so Host is checked on every bind.
 */
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function wildcardSandbox(allowedHosts?: string[]): Promise<Sandbox> {
  sandbox = await httpSandbox({ host: '0.0.0.0', allowedHosts });
  return sandbox;
}

/** The status a WebSocket upgrade gets with these headers (101 when it opens). */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`, { headers });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('error', reject);
  });
}

describe('Host check on a sandbox bound to 0.0.0.0', () => {
  it('refuses the rebinding attack of the review: a read, a DELETE and a WebSocket with an attacker Host all get 403', async () => {
    const s = await wildcardSandbox();
    await inject(s, simpleEml());
    const port = s.ports.http!;
    const headers = { host: `rebind.attacker.test:${port}`, origin: `http://rebind.attacker.test:${port}` };
    const read = await rawRequest(port, { path: '/api/v1/messages', headers });
    expect(read.status).toBe(403);
    expect(JSON.parse(read.body).error.code).toBe('forbidden_host');
    expect(read.body).not.toContain('Hello');
    expect((await rawRequest(port, { method: 'DELETE', path: '/api/v1/messages', headers })).status).toBe(403);
    expect(s.store.size).toBe(1);
    expect(await upgradeStatus(port, headers)).toBe(403);
    expect((await rawRequest(port, { path: '/', headers })).status).toBe(403);
  });

  it.each([['rebind.attacker.test'], ['127.0.0.1.nip.io'], ['localhost.attacker.test'], ['mail.internal:8025'], ['attacker.test.']])(
    'refuses Host %s',
    async (host) => {
      const s = await wildcardSandbox();
      expect((await rawRequest(s.ports.http!, { path: '/api/v1/info', headers: { host } })).status).toBe(403);
    },
  );

  it.each([
    ['localhost:8025'],
    ['127.0.0.1'],
    ['10.1.2.3:8025'],
    ['[fd00::1]:8025'],
    ['mailsandbox:8025'],
    ['mailpit'],
    ['app.localhost'],
    [hostname()],
  ])('accepts Host %s (loopback, IP literals, dotless service aliases, *.localhost, the machine name)', async (host) => {
    const s = await wildcardSandbox();
    expect((await rawRequest(s.ports.http!, { path: '/api/v1/info', headers: { host } })).status).toBe(200);
  });

  it('accepts the names given in allowedHosts, a leading dot meaning the domain and its subdomains', async () => {
    const s = await wildcardSandbox(['mail.staging.example.test', '.review.example.test']);
    const status = async (host: string) => (await rawRequest(s.ports.http!, { path: '/api/v1/info', headers: { host } })).status;
    expect(await status('mail.staging.example.test:8025')).toBe(200);
    expect(await status('MAIL.Staging.example.test')).toBe(200);
    expect(await status('pr-12.review.example.test')).toBe(200);
    expect(await status('review.example.test')).toBe(200);
    expect(await status('evilreview.example.test')).toBe(403);
    expect(await status('other.staging.example.test')).toBe(403);
    expect(await upgradeStatus(s.ports.http!, { host: 'pr-12.review.example.test' })).toBe(101);
  });

  it('answers a raw HTTP/1.1 request with a foreign Host with 403 and a loopback Host with 200 (what curl -H Host sends)', async () => {
    const s = await wildcardSandbox();
    const ask = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(s.ports.http!, '127.0.0.1');
        let data = '';
        socket.on('data', (c) => (data += c.toString('latin1')));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
        socket.write(`GET /api/v1/messages HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      });
    expect(await ask('rebind.attacker.test:8025')).toMatch(/^HTTP\/1\.1 403 /);
    expect(await ask('localhost:8025')).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('--allowed-hosts', () => {
  it('is read from the flag and from MAILSANDBOX_ALLOWED_HOSTS, comma-separated, the flag winning', () => {
    expect(parseCli(['--allowed-hosts', 'a.example.test, .b.example.test'], {}).options.allowedHosts?.map((h) => h.trim())).toEqual(['a.example.test', '.b.example.test']);
    expect(parseCli([], { MAILSANDBOX_ALLOWED_HOSTS: 'c.example.test' }).options.allowedHosts).toEqual(['c.example.test']);
    expect(parseCli(['--allowed-hosts', 'd.example.test'], { MAILSANDBOX_ALLOWED_HOSTS: 'c.example.test' }).options.allowedHosts).toEqual(['d.example.test']);
    expect(resolveConfig({ allowedHosts: [' a.example.test ', ''] }).allowedHosts).toEqual(['a.example.test']);
  });

  it('refuses entries that are not host names, naming each', () => {
    let err: unknown;
    try {
      resolveConfig({ allowedHosts: ['http://a.example.test', 'b.example.test:8025', 'ok.example.test'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toHaveLength(2);
    expect((err as ConfigError).message).toContain('http://a.example.test');
  });

  it('with * accepts any Host (for operators who put their own check in front)', () => {
    expect(isAllowedHost({ loopbackOnly: false, machineName: 'x', allowed: ['*'] }, 'anything.example.test')).toBe(true);
  });

  it('extends a loopback bind too, for a reverse proxy that passes its own Host', async () => {
    sandbox = await httpSandbox({ allowedHosts: ['mail.dev.example.test'] });
    expect((await rawRequest(sandbox.ports.http!, { path: '/api/v1/info', headers: { host: 'mail.dev.example.test' } })).status).toBe(200);
    expect((await rawRequest(sandbox.ports.http!, { path: '/api/v1/info', headers: { host: 'other.example.test' } })).status).toBe(403);
  });
});
