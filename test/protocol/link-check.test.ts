import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { SandboxOptions } from '../../src/config.js';

/** A local target with 200/404/redirect/slow routes; it records every request it receives. */
const received: string[] = [];
let target: http.Server;
let port = 0;
const zoneDir = mkdtempSync(join(tmpdir(), 'mailsandbox-links-'));
const zoneFile = join(zoneDir, 'links.zone');

beforeAll(async () => {
  target = http.createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    if (req.url === '/ok') res.writeHead(200).end('ok');
    else if (req.url === '/head-refused') res.writeHead(req.method === 'HEAD' ? 405 : 200).end();
    else if (req.url === '/moved') res.writeHead(301, { location: '/ok' }).end();
    else if (req.url === '/to-private') res.writeHead(302, { location: 'http://10.0.0.1:9/secret' }).end();
    else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 60_000).unref();
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  port = (target.address() as { port: number }).port;
  writeFileSync(zoneFile, '$ORIGIN links.example.\ninternal IN A 10.0.0.1\nlocal IN A 127.0.0.1\n');
});
afterAll(() => {
  target.closeAllConnections();
  target.close();
});

async function checkLinksOf(options: SandboxOptions, hrefs: string[]): Promise<Array<Record<string, unknown>>> {
  const sb: Sandbox = await createSandbox({ smtp: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: 0 }, logLevel: 'silent', dnsZone: zoneFile, ...options });
  try {
    const html = hrefs.map((h) => `<a href="${h}">link</a>`).join('');
    const m = await sb.deliver(`From: a@shop.example\r\nTo: b@x.example\r\nSubject: links\r\nContent-Type: text/html\r\n\r\n${html}\r\n`, { to: 'b@x.example' });
    const res = await fetch(`http://127.0.0.1:${sb.ports.http}/api/v1/messages/${m.id}/checks/links`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { links: Array<Record<string, unknown>> }).links;
  } finally {
    await sb.close();
  }
}

describe('link check', () => {
  it('reports status, final URL and ok for 200, 404, a redirect and a HEAD-refusing server (with --link-check-private)', async () => {
    const base = `http://127.0.0.1:${port}`;
    const links = await checkLinksOf({ linkCheck: true, linkCheckPrivate: true }, [`${base}/ok`, `${base}/missing`, `${base}/moved`, `${base}/head-refused`]);
    expect(links).toEqual([
      expect.objectContaining({ url: `${base}/ok`, status: 200, ok: true, blocked: false }),
      expect.objectContaining({ url: `${base}/missing`, status: 404, ok: false, blocked: false }),
      expect.objectContaining({ url: `${base}/moved`, status: 200, finalUrl: `${base}/ok`, ok: true }),
      expect.objectContaining({ url: `${base}/head-refused`, status: 200, ok: true }),
    ]);
    expect(received).toContain('GET /head-refused');
  });

  it('refuses private targets, never requesting them: loopback, decimal, octal, hex, [::1], mapped IPv6, 0.0.0.0, userinfo, zone names, redirects', async () => {
    received.length = 0;
    const hrefs = [
      `http://127.0.0.1:${port}/a`,
      `http://2130706433:${port}/b`,
      `http://0177.0.0.1:${port}/c`,
      `http://0x7f.0x0.0x0.0x1:${port}/d`,
      `http://[::1]:${port}/e`,
      `http://[::ffff:127.0.0.1]:${port}/f`,
      `http://0.0.0.0:${port}/g`,
      `http://public.example@127.0.0.1:${port}/h`,
      `http://internal.links.example:${port}/i`,
      `http://local.links.example:${port}/j`,
      `http://169.254.169.254/latest/meta-data/`,
    ];
    const links = await checkLinksOf({ linkCheck: true }, hrefs);
    expect(links).toHaveLength(hrefs.length);
    for (const l of links) expect(l).toMatchObject({ blocked: true, ok: false, status: null });
    expect(received).toEqual([]);
  });

  it('refuses a redirect to a private address without requesting it, and times out a slow server', async () => {
    received.length = 0;
    const { checkLinks } = await import('../../src/checks/link-check.js');
    const { isPrivateAddress } = await import('../../src/checks/address-policy.js');
    // Our target lives on loopback, so the rule is narrowed to let exactly 127.0.0.1 through; the redirect's
    // target, 10.0.0.1, is judged by the real rule.
    const isBlocked = (ip: string): boolean => ip !== '127.0.0.1' && isPrivateAddress(ip);
    const base = `http://127.0.0.1:${port}`;
    const r = await checkLinks([`${base}/to-private`, `${base}/slow`], { allowPrivate: false, isBlocked, timeoutMs: 300, resolve: async (h) => [h] });
    expect(r.links[0]).toMatchObject({ blocked: true, ok: false, status: null, finalUrl: 'http://10.0.0.1:9/secret' });
    expect(r.links[1]).toMatchObject({ blocked: false, ok: false, status: null, error: expect.stringMatching(/300 ms/) });
    expect(received.filter((x) => x.includes('secret'))).toEqual([]);
    expect(received).toContain('HEAD /to-private');
  });
});
