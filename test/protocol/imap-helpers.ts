import { ImapFlow, type FetchMessageObject, type FetchQueryObject } from 'imapflow';
import { expect } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { RawImap } from './imap-raw-client.js';
import type { SandboxOptions } from '../../src/config.js';

/** A sandbox with only IMAP (and whatever `extra` turns on), quiet. */
export function imapSandbox(extra: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox({
    smtp: { port: false },
    submission: { port: false },
    smtps: { port: false },
    pop3: { port: false },
    pop3s: { port: false },
    imaps: { port: false },
    http: { port: false },
    logLevel: 'silent',
    ...extra,
  });
}

export async function imapflowClient(sandbox: Sandbox, user = 'bob@example.test', options: { secure?: boolean } = {}): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: options.secure ? sandbox.ports.imaps! : sandbox.ports.imap!,
    secure: options.secure ?? false,
    auth: { user, pass: 'secret' },
    logger: false,
    tls: { rejectUnauthorized: false },
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

export function eml(subject: string, body = 'Hello there', extra = ''): string {
  return `From: Ann Example <ann@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: ${subject}\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n${extra}\r\n${body}\r\n`;
}

/** Resolves with the first emitted event of that name (no polling). */
export function once<T>(emitter: { once(event: string, fn: (v: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}

/** The same for the store's typed emitter, whose `on` returns the unsubscribe function. */
export function nextStoreEvent<T>(emitter: { on(event: never, fn: (v: T) => void): () => void }, event: string): Promise<T> {
  return new Promise((resolve) => {
    const off = emitter.on(event as never, (v: T) => {
      off();
      resolve(v);
    });
  });
}

/** `client.fetchOne` that fails the test instead of returning false. */
export async function fetchOne(client: ImapFlow, range: string, query: FetchQueryObject): Promise<FetchMessageObject> {
  const m = await client.fetchOne(range, query);
  if (!m) throw new Error(`no message ${range}`);
  return m;
}

/** The untagged (`* `) lines of a raw command that must complete OK (the reply is the assertion message). */
export async function untaggedOk(client: RawImap, line: string): Promise<string[]> {
  const reply = await client.command('T', line);
  expect(reply, reply).toMatch(/^T OK/m);
  return reply.split('\r\n').filter((l) => l.startsWith('* '));
}
