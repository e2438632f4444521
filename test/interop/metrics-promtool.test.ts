import { execFile, execFileSync } from 'node:child_process';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { ImapFlow } from 'imapflow';
import { RawSmtpClient } from '../protocol/smtp-helpers.js';
import { RawImap } from '../protocol/imap-raw-client.js';

/** Prometheus's own linter, from Debian's `prometheus` package (`.ci/team-sandbox.sh` installs it). */
function findPromtool(): string | null {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return 'promtool';
  } catch {
    return null;
  }
}
const promtool = findPromtool();
// In CI a missing promtool is a failure, not a skip.
if (!promtool && process.env.CI) throw new Error('promtool is missing but CI is set: run .ci/team-sandbox.sh (apt-get install prometheus)');

function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(promtool!, ['check', 'metrics'], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }));
    child.stdin!.end(text);
  });
}

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox({ smtps: { port: false }, pop3s: { port: false }, imaps: { port: false }, maxMessages: 2, logLevel: 'silent', limits: { maxRecipients: 2 } });
});
afterAll(() => sandbox.close());

const scrape = async () => {
  const res = await fetch(`${sandbox.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};
/** The value of one series, e.g. value(text, 'mailsandbox_messages_received_total{protocol="smtp"}'). */
const value = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series} in:\n${text.slice(0, 2000)}`);
  return Number(line.slice(series.length + 1));
};

describe.skipIf(!promtool)(`GET /metrics checked by promtool${promtool ? '' : ' (skipped: promtool not installed; apt-get install prometheus)'}`, () => {
  it('passes promtool check metrics with every SPEC §15 metric and the default process metrics', async () => {
    const text = await scrape();
    const { code, output } = await promtoolCheck(text);
    expect(output).toBe('');
    expect(code).toBe(0);
    for (const name of [
      'mailsandbox_messages_stored',
      'mailsandbox_messages_received_total',
      'mailsandbox_messages_rejected_total',
      'mailsandbox_received_bytes_total',
      'mailsandbox_evictions_total',
      'mailsandbox_sessions_active',
      'mailsandbox_faults_fired_total',
      'mailsandbox_waits_pending',
      'mailsandbox_webhook_deliveries_total',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    expect(value(text, 'mailsandbox_faults_fired_total')).toBe(0);
  });
});

describe('metrics move as mail flows', () => {
  it('counts received mail by protocol, bytes, rejections by reason, evictions, sessions and waits', async () => {
    const before = await scrape();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, ignoreTLS: true });
    const sent = await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', subject: 'metered', text: 'x'.repeat(100) });
    expect(sent.response).toMatch(/^250/);
    const stored = sandbox.messages({ subject: 'metered' })[0];
    await sandbox.send({ from: 'a@example.test', to: 'c@example.test', subject: 'via api', text: 'y' });

    // A refused recipient (the third of a limit of two) counts as a rejection, labelled by reason.
    const c = await RawSmtpClient.connect(sandbox.ports.smtp!);
    await c.hello();
    await c.command('MAIL FROM:<a@example.test>');
    await c.command('RCPT TO:<r1@example.test>');
    await c.command('RCPT TO:<r2@example.test>');
    expect(await c.command('RCPT TO:<r3@example.test>')).toMatch(/^452/);
    // A third message evicts the oldest (maxMessages 2).
    await sandbox.deliver('Subject: third\r\n\r\nz\r\n', { to: 'd@example.test' });

    // A wait in progress shows as pending; an open SMTP session as active.
    const waiting = sandbox.waitForMessage({ subject: 'never comes' }, { timeout: 60_000 }).catch(() => undefined);
    const during = await scrape();
    expect(value(during, 'mailsandbox_waits_pending')).toBe(1);
    expect(value(during, 'mailsandbox_sessions_active{protocol="smtp"}')).toBeGreaterThanOrEqual(1);
    c.end();
    await c.closed;

    expect(value(during, 'mailsandbox_messages_received_total{protocol="smtp"}') - value(before, 'mailsandbox_messages_received_total{protocol="smtp"}')).toBe(1);
    expect(value(during, 'mailsandbox_messages_received_total{protocol="api"}') - value(before, 'mailsandbox_messages_received_total{protocol="api"}')).toBe(2);
    expect(value(during, 'mailsandbox_received_bytes_total') - value(before, 'mailsandbox_received_bytes_total')).toBe(
      stored.size + sandbox.messages().reduce((n, m) => n + (m.subject === 'metered' ? 0 : m.size), 0),
    );
    expect(value(during, 'mailsandbox_messages_rejected_total{protocol="smtp",reason="recipients"}')).toBe(1);
    expect(value(during, 'mailsandbox_evictions_total{cause="maxMessages"}')).toBe(1);
    expect(value(during, 'mailsandbox_messages_stored')).toBe(2);

    // A fault rule that fires (a greylisting 451 at RCPT) moves the counter once.
    await sandbox.faults.add({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Try again later', times: 1 });
    const f = await RawSmtpClient.connect(sandbox.ports.smtp!);
    await f.hello();
    await f.command('MAIL FROM:<a@example.test>');
    expect(await f.command('RCPT TO:<grey@example.test>')).toMatch(/^451/);
    f.end();
    await f.closed;
    const after = await scrape();
    expect(value(after, 'mailsandbox_faults_fired_total')).toBe(1);
    if (promtool) expect((await promtoolCheck(after)).code).toBe(0);
    await sandbox.close();
    await waiting;
  });

  it('counts IMAP APPEND and HTTP refusals by reason, as SMTP refusals are counted', async () => {
    const strict = await createSandbox({ logLevel: 'silent', maxMessageSize: 2048, limits: { maxFolderMessages: 1 } });
    const rejected = async (protocol: string, reason: string) => value(await (await fetch(`${strict.url}/metrics`)).text(), `mailsandbox_messages_rejected_total{protocol="${protocol}",reason="${reason}"}`);
    const small = 'From: a@example.test\r\nSubject: fits\r\n\r\nhello\r\n';
    try {
      // IMAP: a literal over APPENDLIMIT is refused before its bytes are sent (NO [TOOBIG], no "+").
      const raw = await RawImap.connect(strict.ports.imap!);
      await raw.command('a1', 'LOGIN ann@example.test x');
      raw.write(`a2 APPEND INBOX {${4096}}\r\n`);
      expect(await raw.until(/^a2 .*\r\n/m)).toMatch(/^a2 NO \[TOOBIG\]/m);
      raw.socket.end();
      // IMAP with imapflow: the first APPEND fills the folder (maxFolderMessages 1), the second is refused NO [LIMIT].
      const client = new ImapFlow({ host: '127.0.0.1', port: strict.ports.imap!, secure: false, auth: { user: 'ann@example.test', pass: 'x' }, logger: false });
      await client.connect();
      await client.append('INBOX', small);
      await expect(client.append('INBOX', small)).rejects.toThrow();
      await client.logout();
      expect(await rejected('imap', 'size')).toBe(1);
      expect(await rejected('imap', 'limit')).toBe(1);

      // HTTP: a raw message over the size limit (413, both a declared Content-Length and a chunked body), a JSON send
      // over it (413), and an injection into a full folder (409).
      const post = (path: string, type: string, body: BodyInit, init: RequestInit = {}) => fetch(`${strict.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body, ...init });
      expect((await post('/api/v1/messages?mailbox=bob@example.test', 'message/rfc822', 'x'.repeat(4096))).status).toBe(413);
      const chunked = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('y'.repeat(4096))); c.close(); } });
      expect((await post('/api/v1/messages?mailbox=bob@example.test', 'message/rfc822', chunked, { duplex: 'half' } as RequestInit)).status).toBe(413);
      expect((await post('/api/v1/send', 'application/json', JSON.stringify({ from: 'a@example.test', to: 'bob@example.test', subject: 'big', text: 'z'.repeat(4096) }))).status).toBe(413);
      expect((await post('/api/v1/messages?mailbox=ann@example.test', 'message/rfc822', small)).status).toBe(409);
      // Accepted mail and requests that are not message intake do not count.
      expect((await post('/api/v1/messages?mailbox=carol@example.test', 'message/rfc822', small)).status).toBe(201);
      expect((await fetch(`${strict.url}/api/v1/messages/nope`)).status).toBe(404);
      expect(await rejected('http', 'size')).toBe(3);
      expect(await rejected('http', 'limit')).toBe(1);
      const text = await (await fetch(`${strict.url}/metrics`)).text();
      if (promtool) expect(await promtoolCheck(text)).toEqual({ code: 0, output: '' });
    } finally {
      await strict.close();
    }
  });

  it('keeps each sandbox’s counts apart in one process', async () => {
    const other = await createSandbox({ logLevel: 'silent' });
    try {
      await other.send({ from: 'a@example.test', to: 'b@example.test', subject: 'other', text: 'x' });
      const text = await (await fetch(`${other.url}/metrics`)).text();
      expect(value(text, 'mailsandbox_messages_received_total{protocol="api"}')).toBe(1);
      expect(value(text, 'mailsandbox_evictions_total{cause="maxMessages"}')).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('labels evictions by the retention limit that caused them (maxSize as well as maxMessages)', async () => {
    const small = await createSandbox({ logLevel: 'silent', maxMessageSize: 1024, maxSize: 2048 });
    try {
      for (let i = 0; i < 3; i++) await small.deliver(`Subject: m${i}\r\n\r\n${'x'.repeat(900)}\r\n`, { to: 'b@example.test' });
      const text = await (await fetch(`${small.url}/metrics`)).text();
      expect(small.info().counts.evictedBy.maxSize).toBe(1);
      expect(value(text, 'mailsandbox_evictions_total{cause="maxSize"}')).toBe(1);
      expect(value(text, 'mailsandbox_evictions_total{cause="maxMessages"}')).toBe(0);
    } finally {
      await small.close();
    }
  });
});
