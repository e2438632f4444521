import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import '../../src/vitest/index.js';
import { CheckNotConfiguredError, createClient, createSandbox, type Sandbox } from '../../src/index.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(join(tmpdir(), 'mailsandbox-matchers-'));
const zoneFile = join(dir, 'z.zone');
writeFileSync(zoneFile, `$ORIGIN app.example.\nk1._domainkey IN TXT "v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}"\n`);

const goodHtml = '<!DOCTYPE html><html lang="en"><body><table role="presentation"><tr><td style="font-size:16px;color:#222">Welcome, Ann. <a href="https://app.example/start">Start your tour</a></td></tr></table></body></html>';
const badHtml = '<html><body><div style="display:flex;color:#ccc"><img src="https://app.example/x.webp"><a href="https://app.example/r">click here</a></div></body></html>';

describe('library and vitest matchers for message checks', () => {
  let sb: Sandbox;
  let good: string;
  let bad: string;
  beforeAll(async () => {
    sb = await createSandbox({ smtp: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: 0 }, logLevel: 'silent', dnsZone: zoneFile });
    const signer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', dkim: { domainName: 'app.example', keySelector: 'k1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) } } as never);
    const plain = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const g = (await signer.sendMail({ from: 'hi@app.example', to: 'ann@x.example', subject: 'welcome', html: goodHtml, text: 'Welcome, Ann.' })).message as Buffer;
    const b = (await plain.sendMail({ from: 'hi@app.example', to: 'ann@x.example', subject: 'bad', html: badHtml })).message as Buffer;
    good = (await sb.deliver(g, { to: 'ann@x.example', from: 'hi@app.example' })).id;
    bad = (await sb.deliver(b, { to: 'ann@x.example', from: 'hi@app.example' })).id;
  });
  afterAll(() => sb.close());

  it('passes all three matchers on a signed, compatible, accessible mail', async () => {
    const report = await sb.check(good);
    await expect(report).toPassDkim();
    await expect(report).toHaveHtmlScoreAtLeast(80);
    await expect(report).toHaveNoAccessibilityErrors();
    expect(report.spam).toMatchObject({ error: { code: 'not_configured', flag: '--spamd host:port' } });
  });

  it('fails with messages that list the signatures, the worst features and each finding with its element', async () => {
    const report = await sb.check(bad);
    await expect(expect(report).toPassDkim()).rejects.toThrow(/no DKIM signature/);
    await expect(expect(report).toHaveHtmlScoreAtLeast(99)).rejects.toThrow(/display:flex/);
    const err = await expect(report).toHaveNoAccessibilityErrors().catch((e: Error) => e);
    expect(String(err)).toMatch(/img-alt: .* at html > body > div > img/);
    expect(String(err)).toMatch(/link-text/);
    expect(String(err)).toMatch(/html-lang/);
  });

  it('answers the same over HTTP with createClient, one check by name, and rejects an unconfigured one', async () => {
    const client = createClient(`http://127.0.0.1:${sb.ports.http}`);
    await expect(await client.check(good)).toPassDkim();
    expect((await client.check(good, 'html')).score).toBe((await sb.check(good, 'html')).score);
    await expect(client.check(good, 'links')).rejects.toThrow(/--link-check/);
    await expect(sb.check(good, 'spam')).rejects.toBeInstanceOf(CheckNotConfiguredError);
  });

  it('runs the checks from the message objects the library hands out: await msg.checks() or msg.checks(name)', async () => {
    // In process: messages(), getMessage(), waitForMessage() and deliver() results each carry checks().
    const [listed] = sb.messages({ subject: 'welcome' });
    const report = await listed.checks();
    await expect(report).toPassDkim();
    expect(await listed.checks('html')).toEqual(report.html);
    await expect(listed).toPassDkim(); // the matchers take the message itself
    await expect(listed).toHaveHtmlScoreAtLeast(80);
    await expect(listed.checks('spam')).rejects.toBeInstanceOf(CheckNotConfiguredError);
    const full = await sb.getMessage(bad);
    await expect(expect(full!).toHaveNoAccessibilityErrors()).rejects.toThrow(/img-alt/);
    const waited = sb.waitForMessage({ subject: 'late' });
    const seeded = await sb.deliver('From: hi@app.example\r\nTo: ann@x.example\r\nSubject: late\r\n\r\nhi\r\n', { to: 'ann@x.example' });
    expect((await seeded.checks('auth')).dkim).toEqual([]);
    await expect((await waited).checks('auth')).resolves.toMatchObject({ dkim: [] });

    // Over HTTP: the same methods on createClient's messages, with the same answers.
    const client = createClient(`http://127.0.0.1:${sb.ports.http}`);
    const [remote] = await client.messages({ subject: 'welcome' });
    await expect(remote).toPassDkim();
    expect((await remote.checks('html')).score).toBe((await listed.checks('html')).score);
    await expect(remote.checks('links')).rejects.toThrow(/--link-check/);
    const remoteWait = client.waitForMessage({ subject: 'later' });
    const sent = await client.send({ from: 'hi@app.example', to: 'ann@x.example', subject: 'later', html: '<p>no lang</p>' });
    expect((await sent.checks('accessibility')).findings.map((f) => f.rule)).toContain('html-lang');
    await expect(expect(await remoteWait).toHaveNoAccessibilityErrors()).rejects.toThrow(/html-lang/);

    // The method is not data: the objects serialise and compare as the HTTP API's JSON does.
    expect(Object.keys(listed)).not.toContain('checks');
    expect(JSON.parse(JSON.stringify(listed))).toEqual(remote);
  });
});
