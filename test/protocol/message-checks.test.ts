import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dkimSign } from 'mailauth';
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { SandboxOptions } from '../../src/config.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pubB64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-checks-'));
const zoneFile = join(dir, 'example.zone');
// The public key split into 200-character quoted strings, as a real zone file holds a 2048-bit key.
writeFileSync(zoneFile, `$TTL 300
$ORIGIN shop.example.
@                IN TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc           IN TXT "v=DMARC1; p=reject; adkim=r; aspf=r"
mail._domainkey  IN TXT ( "v=DKIM1; k=rsa; p=" ${pubB64.match(/.{1,200}/g)!.map((s) => `"${s}"`).join(' ')} )
$ORIGIN other.example.
@                IN TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc           IN TXT "v=DMARC1; p=quarantine"
`);

const html = '<!DOCTYPE html><html><body><p style="color:#bbbbbb">Reset your password: <a href="https://shop.example/r">click here</a></p><img src="https://shop.example/logo.png"></body></html>';

async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox({ smtp: { port: 0 }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: 0 }, logLevel: 'silent', ...options });
}

async function send(sb: Sandbox, mail: SendMailOptions, dkim?: Record<string, unknown>): Promise<string> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: sb.ports.smtp!, secure: false, ignoreTLS: true, ...(dkim ? { dkim } : {}) } as never);
  const subject = `${mail.subject ?? 'check'} ${Math.random()}`;
  await t.sendMail({ from: 'orders@shop.example', to: 'ann@customer.example', html, text: 'Reset your password', ...mail, subject });
  const m = await sb.waitForMessage({ subject }, { since: 'start' });
  return m.id;
}

async function get(sb: Sandbox, id: string, check: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${sb.ports.http}/api/v1/messages/${id}/checks/${check}`);
  return { status: res.status, body: await res.json() };
}

const dkim = (over: Record<string, unknown> = {}) => ({ domainName: 'shop.example', keySelector: 'mail', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }), ...over });

describe('message checks over HTTP', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await start({ dnsZone: zoneFile });
  });
  afterAll(() => sb.close());

  it('passes DKIM, SPF and DMARC for a message signed by nodemailer with the zone\'s key from an allowed IP', async () => {
    const id = await send(sb, {}, dkim());
    const { status, body } = await get(sb, id, 'auth');
    expect(status).toBe(200);
    expect(body.dkim).toEqual([expect.objectContaining({ domain: 'shop.example', selector: 'mail', result: 'pass' })]);
    expect(body.spf).toMatchObject({ result: 'pass', domain: 'shop.example', clientIp: '127.0.0.1' });
    expect(body.dmarc).toMatchObject({ result: 'pass', policy: 'reject', alignment: { dkim: true, spf: true } });
    expect(body.arc.result).toBe('none');
  });

  it('fails DKIM when the body changed after signing', async () => {
    const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', dkim: dkim() } as never);
    const signed = (await t.sendMail({ from: 'orders@shop.example', to: 'ann@customer.example', subject: 'tampered', text: 'Amount: 10 EUR' })).message as Buffer;
    const tampered = Buffer.from(signed.toString('utf8').replace('Amount: 10 EUR', 'Amount: 99 EUR'));
    const summary = await sb.deliver(tampered, { to: 'ann@customer.example', from: 'orders@shop.example' });
    const { body } = await get(sb, summary.id, 'auth');
    expect(body.dkim[0]).toMatchObject({ domain: 'shop.example', result: 'fail' });
    expect(body.dkim[0].reason).toMatch(/body hash/i);
  });

  it('gives the right DKIM result for an expired signature, a wrong selector and a domain without a record', async () => {
    const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const unsigned = (await composer.sendMail({ from: 'orders@shop.example', to: 'ann@customer.example', subject: 'expired', text: 'x' })).message as Buffer;
    // nodemailer cannot set x=; mailauth's signer can, with a signing time and expiry in the past.
    const { signatures } = await dkimSign(unsigned, { signTime: new Date(Date.now() - 7_200_000), expires: new Date(Date.now() - 3_600_000), signatureData: [{ signingDomain: 'shop.example', selector: 'mail', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }] } as never);
    const expired = (await sb.deliver(Buffer.concat([Buffer.from(signatures), unsigned]), { to: 'ann@customer.example', from: 'orders@shop.example' })).id;
    const wrongSel = await send(sb, { subject: 'wrong selector' }, dkim({ keySelector: 'nosuch' }));
    const noRecord = await send(sb, { subject: 'no record', from: 'a@unknown.example' }, dkim({ domainName: 'unknown.example' }));
    const e = (await get(sb, expired, 'auth')).body.dkim[0];
    expect(['fail', 'neutral', 'permerror']).toContain(e.result);
    expect(e.reason).toMatch(/expire/i);
    expect((await get(sb, wrongSel, 'auth')).body.dkim[0].result).toMatch(/^(neutral|permerror|temperror|fail)$/);
    const n = (await get(sb, noRecord, 'auth')).body;
    expect(n.dkim[0].result).not.toBe('pass');
    expect(n.spf.result).toBe('none');
    expect(n.dmarc.result).toBe('none');
  });

  it('fails SPF and DMARC for a domain whose zone does not allow the sandbox client IP', async () => {
    const id = await send(sb, { from: 'news@other.example', subject: 'spf fail' });
    const { body } = await get(sb, id, 'auth');
    expect(body.spf).toMatchObject({ result: 'fail', domain: 'other.example' });
    expect(body.dmarc).toMatchObject({ result: 'fail', policy: 'quarantine' });
    expect(body.dkim).toEqual([]);
  });

  it('answers html and accessibility checks, cached per message', async () => {
    const id = await send(sb, { subject: 'a11y' });
    const a = await get(sb, id, 'accessibility');
    expect(a.status).toBe(200);
    expect(a.body.findings.map((f: { rule: string }) => f.rule).sort()).toEqual(['contrast', 'html-lang', 'img-alt', 'link-text']);
    const h = await get(sb, id, 'html');
    expect(h.body.score).toBeGreaterThan(0);
    expect(h.body.warnings.length).toBeGreaterThan(0);
    const m = sb.store.get(id)!;
    expect(await sb.context.checks.run('html', m)).toBe(await sb.context.checks.run('html', m));
  });

  it('serves the HTML with a finding\'s element marked at /html?highlight=N, under the same sandboxing CSP', async () => {
    const id = await send(sb, { subject: 'highlight' });
    const img = (await get(sb, id, 'accessibility')).body.findings.find((f: { rule: string }) => f.rule === 'img-alt').element;
    const base = `http://127.0.0.1:${sb.ports.http}/api/v1/messages/${id}/html`;
    const res = await fetch(`${base}?highlight=${img.index}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none';/);
    const body = await res.text();
    expect(body).toContain('<img id="mailsandbox-highlight" data-mailsandbox-highlight src="https://shop.example/logo.png">');
    expect(body.match(/data-mailsandbox-highlight/g)).toHaveLength(2); // the element and the style rule
    expect(await (await fetch(base)).text()).not.toContain('mailsandbox-highlight');
    const badIndex = await fetch(`${base}?highlight=img`);
    expect(badIndex.status).toBe(400);
    expect((await badIndex.json()).error.message).toMatch(/highlight/);
    // Past the last element: the plain HTML, nothing marked.
    expect(await (await fetch(`${base}?highlight=99999`)).text()).not.toContain('data-mailsandbox-highlight');
  });

  it('answers 409 naming the flag for spam and links when they are not configured, and 404 for an unknown message', async () => {
    const id = await send(sb, { subject: '409' });
    const spam = await get(sb, id, 'spam');
    expect(spam.status).toBe(409);
    expect(spam.body).toMatchObject({ error: { code: 'not_configured' }, flag: '--spamd host:port' });
    const links = await get(sb, id, 'links');
    expect(links.status).toBe(409);
    expect(links.body.flag).toBe('--link-check');
    expect((await get(sb, 'nosuch', 'html')).status).toBe(404);
  });

  it('never passes anything without a zone file: every lookup finds nothing', async () => {
    const bare = await start();
    try {
      const id = await send(bare, { subject: 'no zone' }, dkim());
      const { body } = await get(bare, id, 'auth');
      expect(body.dkim[0].result).not.toBe('pass');
      expect(body.spf.result).toBe('none');
      expect(body.dmarc.result).toBe('none');
    } finally {
      await bare.close();
    }
  });
});
