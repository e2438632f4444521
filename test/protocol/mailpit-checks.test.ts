import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { MailpitClient } from 'mailpit-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { assertMailpitShape } from './mailpit-schema.js';
import { gtube, hasSpamd, spamdBin, startSpamd } from './spamd-helpers.js';

// SPEC §16: Mailpit's link-check and sa-check endpoints answered by our checks (SPEC §14), through the real client,
// validated against Mailpit's OpenAPI document. The link check visits a local server; the spam check a real spamd.

if (!hasSpamd && process.env.CI) throw new Error(`spamd not found at ${spamdBin}: run .ci/spamd.sh (CI must not skip the spam check tests)`);

const sandboxOff = { smtp: { port: false }, submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: 0 }, logLevel: 'silent' } as const;

const deliverHtml = (sb: Sandbox, html: string, body = '') =>
  sb.deliver(`From: Shop <orders@shop.example>\r\nTo: ann@customer.example\r\nSubject: Your order\r\nMessage-ID: <${Math.random()}@shop.example>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nContent-Type: text/html\r\n\r\n${html}${body}\r\n`, { to: 'ann@customer.example' });

describe('Mailpit link-check', () => {
  let target: http.Server;
  let sb: Sandbox;
  beforeAll(async () => {
    target = http.createServer((req, res) => res.writeHead(req.url === '/ok' ? 200 : 404).end());
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    sb = await createSandbox({ ...sandboxOff, linkCheck: true, linkCheckPrivate: true });
  });
  afterAll(async () => {
    await sb?.close();
    target.closeAllConnections();
    target.close();
  });

  it('reports each link with its status and counts the broken ones', async () => {
    const base = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
    const m = await deliverHtml(sb, `<a href="${base}/ok">fine</a> <a href="${base}/gone">broken</a>`);
    const result = await new MailpitClient(`${sb.url}/mailpit`).linkCheck(m.id);
    assertMailpitShape('GET', '/api/v1/message/{ID}/link-check', result);
    expect(result.Errors).toBe(1);
    expect(result.Links.map((l) => [l.URL, l.StatusCode, l.Status])).toEqual([
      [`${base}/ok`, 200, 'OK'],
      [`${base}/gone`, 404, 'Not Found'],
    ]);
  });
});

describe.skipIf(!hasSpamd)(`Mailpit sa-check against a throwaway spamd${hasSpamd ? '' : ` (skipped: no spamd at ${spamdBin})`}`, () => {
  let spamd: ChildProcess;
  let sb: Sandbox;
  beforeAll(async () => {
    const started = await startSpamd();
    spamd = started.child;
    sb = await createSandbox({ ...sandboxOff, spamd: `127.0.0.1:${started.port}` });
  }, 180_000);
  afterAll(async () => {
    await sb?.close();
    spamd?.kill('SIGTERM');
  });

  it('scores GTUBE as spam with its rule, in Mailpit’s shape', async () => {
    const m = await deliverHtml(sb, '<p>Hello,</p>', `\r\n${gtube}`);
    const mailpit = new MailpitClient(`${sb.url}/mailpit`);
    const result = await mailpit.spamAssassinCheck(m.id);
    assertMailpitShape('GET', '/api/v1/message/{ID}/sa-check', result);
    expect(result).toMatchObject({ IsSpam: true, Error: '' });
    expect(result.Score).toBeGreaterThan(5);
    expect((result.Rules ?? []).map((r) => r.Name)).toContain('GTUBE');
    expect((await mailpit.getConfiguration()).SpamAssassin).toBe(true);
  }, 60_000);
});
