import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Socket } from 'node:net';
import { createSandbox } from '../../src/index.js';
import type { Sandbox } from '../../src/index.js';
import type { SandboxOptions } from '../../src/config.js';
import type { SessionRecord } from '../../src/store/session-log.js';
import { LineClient } from '../session/pop3-harness.js';

/** A sandbox with only POP3 and POP3S on (plus whatever `options` adds). */
export function pop3Sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox({
    smtp: { port: false },
    submission: { port: false },
    smtps: { port: false },
    pop3: { port: 0 },
    pop3s: { port: 0 },
    imap: { port: false },
    imaps: { port: false },
    http: { port: false },
    logLevel: 'silent',
    ...options,
  });
}

/** A raw POP3 connection (plain, or implicit TLS) with its greeting already read. */
export async function rawConnect(port: number, secure = false): Promise<{ client: LineClient; greeting: string | null; socket: Socket }> {
  const socket = secure ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : netConnect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once(secure ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', reject);
  });
  const client = new LineClient(socket);
  return { client, greeting: await client.readLine(), socket };
}

/** Resolves when the next POP3 session of this sandbox ends (sessions are recorded in the session log). */
export function nextSessionEnd(sandbox: Sandbox): Promise<SessionRecord> {
  return new Promise((resolve) => {
    const off = sandbox.context.sessions.on('session.ended', (s) => {
      if (s.protocol !== 'pop3') return;
      off();
      resolve(s);
    });
  });
}

/** Undoes POP3 dot-stuffing of a multi-line body as a client sees it (CRLF lines). */
export function unstuff(wire: string): string {
  return wire
    .split('\r\n')
    .map((l) => (l.startsWith('.') ? l.slice(1) : l))
    .join('\r\n');
}

/** A message with lines that start with dots, the case dot-stuffing exists for. */
export function dottyMessage(subject: string): Buffer {
  return Buffer.from(
    `From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n\r\n` +
      `.starts with a dot\r\n..two dots\r\n.\r\nline after a lone dot\r\n`,
  );
}
