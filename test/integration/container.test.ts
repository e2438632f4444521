import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { Wait } from 'testcontainers';
import { MailSandboxContainer } from '../../src/testcontainers/index.js';
import type { StartedMailSandboxContainer } from '../../src/testcontainers/index.js';
import '../../src/vitest/index.js';
import { exitCodeAndRemove, isDockerRequired, probeDocker, testImage } from './docker-engine.js';

const engine = await probeDocker(testImage);
const skipReason = engine.ok ? '' : ` — skipped: ${engine.reason}`;
if (!engine.ok && !isDockerRequired) console.warn(`container tests skipped: ${engine.reason}`);

/** The first line a server sends after accepting a connection. */
function readGreeting(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffered = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no greeting from ${host}:${port} within 10 s`)));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(buffered.slice(0, end));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`${host}:${port} closed before a greeting line`)));
  });
}

/** GET with a chosen Host header (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!engine.ok && !isDockerRequired)(`the Docker image through MailSandboxContainer${skipReason}`, () => {
  let mail: StartedMailSandboxContainer;

  beforeAll(async () => {
    if (!engine.ok) throw new Error(`MAILSANDBOX_REQUIRE_DOCKER=1 but ${engine.reason}`);
    mail = await new MailSandboxContainer(testImage).start();
  });
  afterAll(async () => {
    await mail?.stop();
  });

  it('is started only once /healthz answers 200 on the mapped HTTP port', async () => {
    const res = await fetch(`${mail.getHttpUrl()}/healthz`);
    expect(res.status).toBe(200);
  });

  it('publishes every listener on its own host port', () => {
    const ports = mail.getPorts();
    expect(Object.keys(ports).sort()).toEqual(['http', 'imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps', 'submission']);
    expect(new Set(Object.values(ports)).size).toBe(8);
    expect(mail.getSmtpSettings()).toEqual({ host: mail.getHost(), port: ports.smtp, secure: false, tls: { rejectUnauthorized: false } });
    expect(mail.getSubmissionSettings()).toEqual({ host: mail.getHost(), port: ports.submission, secure: false, tls: { rejectUnauthorized: false } });
  });

  it('accepts mail with STARTTLS on the mapped submission port', async () => {
    const transport = nodemailer.createTransport({ ...mail.getSubmissionSettings(), requireTLS: true });
    const sent = await transport.sendMail({ from: 'app@example.test', to: 'sub@example.test', subject: 'Submitted', text: 'Hi' });
    transport.close();
    expect(sent.response).toMatch(/^250/);
  });

  it('accepts mail from nodemailer on the mapped SMTP port, and the client sees it arrive', async () => {
    const client = mail.createClient();
    const transport = nodemailer.createTransport(mail.getSmtpSettings());
    await transport.sendMail({ from: 'app@example.test', to: 'ann@example.test', subject: 'Container hello', text: 'Sent into a container' });
    transport.close();
    // since: 'start' — the 250 came back before this call, so the message is already stored.
    const msg = await client.waitForMessage({ to: 'ann@example.test', subject: 'Container hello' }, { since: 'start', timeout: 15_000 });
    expect(msg.subject).toBe('Container hello');
    expect(msg.text?.trim()).toBe('Sent into a container');
    await expect(client).toHaveReceivedMail({ to: 'ann@example.test', subject: 'Container hello' });
  });

  it('accepts mail over implicit TLS on the mapped SMTPS port', async () => {
    const transport = nodemailer.createTransport(mail.getSmtpsSettings());
    await transport.sendMail({ from: 'app@example.test', to: 'tls@example.test', subject: 'Over TLS', text: 'Hi' });
    transport.close();
    await expect(mail.createClient()).toHaveReceivedMail({ to: 'tls@example.test', subject: 'Over TLS' });
  });

  it('greets on the mapped POP3 port', async () => {
    const { host, port } = mail.getPop3Settings();
    expect(await readGreeting(host, port)).toMatch(/^\+OK /);
  });

  it('greets on the mapped IMAP port', async () => {
    const { host, port } = mail.getImapSettings();
    expect(await readGreeting(host, port)).toMatch(/^\* OK /);
  });

  it('accepts HTTP requests addressed to a service name, as compose and GitLab services send them', async () => {
    // Bound to 0.0.0.0 in the image, so the DNS-rebinding Host check (loopback binds only) stays out of the way.
    const res = await getWithHost(`${mail.getHttpUrl()}/api/v1/info`, 'mailsandbox:8025');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ name: 'mailsandbox', host: '0.0.0.0' });
  });

  it('serves the web UI that was built into the image', async () => {
    const res = await fetch(`${mail.getHttpUrl()}/`);
    expect(res.status).toBe(200);
    const index = new URL('../../ui-dist/index.html', import.meta.url);
    const expected = existsSync(index) ? readFileSync(index, 'utf8') : "The web UI isn't built";
    expect(await res.text()).toContain(expected.slice(0, 200));
  });

  it('takes its configuration from the module: required SMTP AUTH against a users file', async () => {
    const strict = await new MailSandboxContainer(testImage).withSmtpAuth('required').withUsers({ 'app@example.test': 's3cret' }).start();
    try {
      const anonymous = nodemailer.createTransport(strict.getSmtpSettings());
      await expect(anonymous.sendMail({ from: 'app@example.test', to: 'ann@example.test', subject: 'No auth', text: 'x' })).rejects.toThrow(/530|authentication/i);
      anonymous.close();
      const authed = nodemailer.createTransport({ ...strict.getSmtpSettings(), auth: { user: 'app@example.test', pass: 's3cret' } });
      await authed.sendMail({ from: 'app@example.test', to: 'ann@example.test', subject: 'With auth', text: 'x' });
      authed.close();
      await expect(strict.createClient()).toHaveReceivedMail({ subject: 'With auth' });
      await expect(strict.createClient()).not.toHaveReceivedMail({ subject: 'No auth' });
    } finally {
      await strict.stop();
    }
  });

  it("reports healthy through the image's own HEALTHCHECK (what CI service containers wait on)", async () => {
    const probe = await new MailSandboxContainer(testImage).withWaitStrategy(Wait.forHealthCheck()).withStartupTimeout(60_000).start();
    try {
      expect((await fetch(`${probe.getHttpUrl()}/healthz`)).status).toBe(200);
    } finally {
      await probe.stop();
    }
  });

  it('exits 0 on docker stop (SIGTERM reaches node as PID 1)', async () => {
    const short = await new MailSandboxContainer(testImage).start();
    const id = short.getId();
    await short.stop({ remove: false, timeout: 20_000 });
    expect(await exitCodeAndRemove(id)).toBe(0);
  });

  it('does not count a container as started while /healthz cannot answer', async () => {
    const noHttp = new MailSandboxContainer(testImage).withEnvironment({ MAILSANDBOX_HTTP_PORT: 'off' }).withStartupTimeout(3_000);
    await expect(noHttp.start()).rejects.toThrow('URL /healthz not accessible after 3000ms');
  });
});
