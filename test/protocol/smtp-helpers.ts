import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { SandboxOptions } from '../../src/config.js';
import type { StoredMessage } from '../../src/store/types.js';

/** A sandbox with only the SMTP listeners on (plus whatever `options` adds). */
export function smtpSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox({
    smtp: { port: 0 },
    smtps: { port: 0 },
    pop3: { port: false },
    pop3s: { port: false },
    imap: { port: false },
    imaps: { port: false },
    http: { port: false },
    logLevel: 'silent',
    ...options,
  });
}

/** Resolves with the next message the store accepts. */
export function nextMessage(sandbox: Sandbox): Promise<StoredMessage> {
  return new Promise((resolve) => {
    const off = sandbox.store.on('message.added', (m) => {
      off();
      resolve(m);
    });
  });
}

/**
 * A byte-level SMTP client for hostile and corner-case input: writes exactly what it is given, and reads whole
 * replies (multi-line replies end at the `NNN ` line). Waits on socket events only.
 */
export class RawSmtpClient {
  #buffer = '';
  #waiters: Array<(reply: string | null) => void> = [];
  #isClosed = false;
  /** Every byte the server sent, as text (for comparing with the transcript). */
  received = '';
  readonly closed: Promise<void>;
  #markClosed!: () => void;

  private constructor(public socket: Socket | TLSSocket) {
    this.closed = new Promise((r) => (this.#markClosed = r));
    this.#attach(socket);
  }

  static connect(port: number, options: { tls?: boolean } = {}): Promise<RawSmtpClient> {
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(client))
        : netConnect({ port, host: '127.0.0.1' }, () => resolve(client));
      const client = new RawSmtpClient(socket);
      socket.once('error', reject);
    });
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.received += text;
      this.#buffer += text;
      this.#pump();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#isClosed = true;
      this.#markClosed();
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#waiters.length) {
      const end = /^\d{3}(?: [^\r\n]*)?\r\n/m.exec(this.#buffer);
      if (!end) {
        if (this.#isClosed) this.#waiters.shift()?.(null);
        else return;
        continue;
      }
      const cut = end.index + end[0].length;
      const reply = this.#buffer.slice(0, cut).replace(/\r\n$/, '').replace(/\r\n/g, '\n');
      this.#buffer = this.#buffer.slice(cut);
      this.#waiters.shift()?.(reply);
    }
  }

  /** The next whole reply (lines joined with \n), or null when the server closed the connection first. */
  reply(): Promise<string | null> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#pump();
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<string | null> {
    this.write(line + '\r\n');
    return this.reply();
  }

  /** After a `220` to STARTTLS: the TLS handshake on the same socket; later replies come over TLS. */
  startTls(): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    return new Promise((resolve, reject) => {
      const secure = tlsConnect({ socket: raw as Socket, rejectUnauthorized: false, servername: 'localhost' }, () => resolve());
      secure.once('error', reject);
      this.socket = secure;
      this.#attach(secure);
    });
  }

  /** Greeting, EHLO; returns the EHLO reply. */
  async hello(name = 'client.test'): Promise<string | null> {
    const greeting = await this.reply();
    if (!greeting?.startsWith('220')) throw new Error(`unexpected greeting ${String(greeting)}`);
    return this.command(`EHLO ${name}`);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A small RFC 5322 message with CRLF line endings. */
export function makeMessage(subject: string, body = 'Hello.\r\n', extraHeaders = ''): Buffer {
  return Buffer.from(
    `From: Sender <sender@example.test>\r\nTo: Ann <ann@example.test>\r\nSubject: ${subject}\r\n` +
      `Message-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n${extraHeaders}\r\n${body}`,
    'utf8',
  );
}

/** Dot-stuffs a message for DATA (RFC 5321 §4.5.2) and appends the terminator. */
export function dataPayload(raw: Buffer): Buffer {
  const dot = Buffer.from('.');
  const parts: Buffer[] = raw[0] === 0x2e ? [dot] : [];
  let start = 0;
  for (let i = raw.indexOf('\r\n.'); i >= 0; i = raw.indexOf('\r\n.', i + 1)) {
    parts.push(raw.subarray(start, i + 2), dot);
    start = i + 2;
  }
  parts.push(raw.subarray(start));
  const endsWithCrlf = raw.length >= 2 && raw[raw.length - 2] === 0x0d && raw[raw.length - 1] === 0x0a;
  parts.push(Buffer.from(endsWithCrlf ? '.\r\n' : '\r\n.\r\n'));
  return Buffer.concat(parts);
}
