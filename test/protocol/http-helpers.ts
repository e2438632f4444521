import { request as httpRequest } from 'node:http';
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { SandboxOptions } from '../../src/config.js';

/** A sandbox with only HTTP on (plus whatever `options` adds). */
export function httpSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox({
    smtp: { port: false },
    submission: { port: false },
    smtps: { port: false },
    pop3: { port: false },
    pop3s: { port: false },
    imap: { port: false },
    imaps: { port: false },
    http: { port: 0 },
    logLevel: 'silent',
    ...options,
  });
}

/** A realistic MIME message built by nodemailer's composer (CRLF line endings). */
export async function compose(mail: SendMailOptions): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = await transport.sendMail({ from: 'sender@example.test', ...mail });
  return info.message as Buffer;
}

/** A tiny hand-written message. */
export function simpleEml(fields: { from?: string; to?: string; cc?: string; subject?: string; body?: string } = {}): Buffer {
  const lines = [
    `From: ${fields.from ?? 'Alice <alice@example.test>'}`,
    `To: ${fields.to ?? 'bob@example.test'}`,
    ...(fields.cc ? [`Cc: ${fields.cc}`] : []),
    `Subject: ${fields.subject ?? 'Hello'}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@example.test>`,
    'Date: Tue, 24 Nov 2026 10:00:00 +0000',
    '',
    fields.body ?? 'Hello there',
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

/** fetch against the sandbox; `path` starts with `/`. */
export function api(sandbox: Sandbox, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${sandbox.url}${path}`, init);
}

export async function apiJson<T = any>(sandbox: Sandbox, path: string, init: RequestInit = {}): Promise<{ status: number; body: T; res: Response }> {
  const res = await api(sandbox, path, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, res };
}

/** POST raw bytes to /api/v1/messages. */
export function inject(sandbox: Sandbox, raw: Buffer | string, query = '', headers: Record<string, string> = {}): Promise<Response> {
  return api(sandbox, `/api/v1/messages${query}`, {
    method: 'POST',
    headers: { 'content-type': 'message/rfc822', ...headers },
    body: typeof raw === 'string' ? raw : new Uint8Array(raw),
  });
}

/** node:http request, for headers fetch won't let us set (Host) or send exactly as given. */
export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
