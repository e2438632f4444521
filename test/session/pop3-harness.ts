import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { resolveConfig } from '../../src/config.js';
import type { Limits } from '../../src/config.js';
import { createServerContext } from '../../src/shared/server-context.js';
import type { ServerContext } from '../../src/shared/server-context.js';
import type { TlsMaterial } from '../../src/shared/tls.js';
import { Pop3Session } from '../../src/pop3/pop3-session.js';
import type { Pop3SessionOptions } from '../../src/pop3/pop3-session.js';

/** Two connected in-memory streams: what one writes, the other reads. Ending or destroying one ends the other. */
export function duplexPair(): [Duplex, Duplex] {
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      allowHalfOpen: false,
      read() {},
      write(chunk: Buffer, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
      destroy(err, cb) {
        if (!peer().destroyed) peer().destroy();
        cb(err);
      },
    });
  const a: Duplex = make(() => b);
  const b: Duplex = make(() => a);
  return [a, b];
}

export function createTestContext(opts: { users?: Record<string, string>; limits?: Partial<Limits>; tls?: TlsMaterial } = {}): ServerContext {
  const config = resolveConfig({ users: opts.users, limits: opts.limits, logLevel: 'silent' });
  return createServerContext(config, opts.tls ?? { key: '', cert: '', isSelfSigned: true, fingerprint256: '' }, opts.users);
}

/** A line-oriented client end of a duplex pair: reads CRLF lines in order, waits for them without sleeping. */
export class LineClient {
  #buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  #ended = false;

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    stream.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    stream.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
  }

  send(text: string | Buffer): void {
    this.stream.write(text);
  }

  sendLine(line: string): void {
    this.stream.write(line + '\r\n');
  }

  /** The next line without its CRLF, or null once the server has closed and nothing is left. */
  async readLine(): Promise<string | null> {
    const raw = await this.readRawLine();
    return raw === null ? null : raw.subarray(0, raw.length - 2).toString('utf8');
  }

  /** The next line as bytes, CRLF included. */
  async readRawLine(): Promise<Buffer | null> {
    for (;;) {
      const i = this.#buffer.indexOf('\r\n');
      if (i !== -1) {
        const line = this.#buffer.subarray(0, i + 2);
        this.#buffer = this.#buffer.subarray(i + 2);
        return line;
      }
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** A multi-line body after its status line: dot-unstuffed bytes, up to (not including) the `.` line. */
  async readMultiline(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const line = await this.readRawLine();
      if (line === null) throw new Error('connection closed inside a multi-line response');
      if (line.length === 3 && line[0] === 0x2e) return Buffer.concat(parts);
      parts.push(line[0] === 0x2e ? line.subarray(1) : line);
    }
  }

  /** Resolves when the server has closed its side. */
  async closed(): Promise<void> {
    while (!this.#ended) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** A session on one end of a pair and a client on the other. */
export function openSession(ctx: ServerContext, options: Partial<Pop3SessionOptions> = {}): { session: Pop3Session; client: LineClient } {
  const [serverEnd, clientEnd] = duplexPair();
  const session = new Pop3Session(ctx, serverEnd, { isTls: false, ...options });
  return { session, client: new LineClient(clientEnd) };
}

export interface TranscriptStep {
  dir: 'C' | 'S';
  text: string;
  /** For `S:` lines written `/.../`. */
  pattern?: RegExp;
}

/** Reads `fixtures/transcripts/pop3/<name>.txt`: `C:`/`S:` lines (S may be `/regex/`), `#` comments. */
export function loadTranscript(name: string): TranscriptStep[] {
  const text = readFileSync(new URL(`../../fixtures/transcripts/pop3/${name}.txt`, import.meta.url), 'utf8');
  const steps: TranscriptStep[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([CS]): ?(.*)$/.exec(line.replace(/\r$/, ''));
    if (!m) throw new Error(`bad transcript line: ${line}`);
    const [, dir, body] = m;
    const isPattern = dir === 'S' && body.length > 1 && body.startsWith('/') && body.endsWith('/');
    steps.push({ dir: dir as 'C' | 'S', text: body, pattern: isPattern ? new RegExp(body.slice(1, -1)) : undefined });
  }
  return steps;
}

/**
 * Plays a transcript: sends each `C:` line, reads one line per `S:` and checks it. Returns the mismatches
 * (empty when the server said exactly what the fixture says), so a failure shows every difference.
 */
export async function playTranscript(client: LineClient, steps: readonly TranscriptStep[]): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, step] of steps.entries()) {
    if (step.dir === 'C') {
      client.sendLine(step.text);
      continue;
    }
    const got = await client.readLine();
    const matches = got !== null && (step.pattern ? step.pattern.test(got) : got === step.text);
    if (!matches) problems.push(`step ${i + 1}: expected ${step.pattern ? String(step.pattern) : JSON.stringify(step.text)}, got ${JSON.stringify(got)}`);
  }
  return problems;
}

/** The two messages the transcript fixtures expect in mrose@example.test (102 and 41 octets). */
export const message1 = Buffer.from('From: alice@example.test\r\nTo: mrose@example.test\r\nSubject: first\r\n\r\nHello.\r\n.leading dot\r\n..two dots\r\n');
export const message2 = Buffer.from('Subject: second\r\n\r\nline 1\r\nline 2\r\nline 3');

export function seedMrose(ctx: ServerContext): void {
  for (const raw of [message1, message2]) {
    ctx.store.deliver({ raw, envelope: { mailFrom: '', rcptTo: ['mrose@example.test'] }, source: 'api' });
  }
}
