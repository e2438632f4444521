import { describe, expect, it } from 'vitest';
import { Duplex } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { Dispatcher } from '../../src/imap/dispatcher.js';
import { ImapSession } from '../../src/imap/session.js';
import { MessageCache } from '../../src/imap/message-cache.js';
import { createTestContext } from './imap-harness.js';

/**
 * A transport whose reader can stall: while stalled, writes are not acknowledged, so the stream's buffer
 * fills and `write()` returns false, as a socket's does when the client stops reading.
 */
class Transport extends Duplex {
  output = '';
  isStalled = false;
  #held: Array<() => void> = [];

  constructor() {
    super({ highWaterMark: 16 * 1024 });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.output += chunk.toString('latin1');
    if (this.isStalled) this.#held.push(cb);
    else cb();
  }

  unstall(): void {
    this.isStalled = false;
    for (const cb of this.#held.splice(0)) cb();
  }

  /** Bytes the session has handed to the stream: delivered plus still buffered in it. */
  get accepted(): number {
    return this.output.length + this.writableLength;
  }

  async until(text: string): Promise<void> {
    while (!this.output.includes(text)) await turn();
  }
}

describe('IMAP output backpressure', () => {
  it('stops producing FETCH output while the client is not reading, and finishes once it reads', async () => {
    const ctx = createTestContext();
    const body = 'x'.repeat(10_000);
    const count = 300;
    for (let i = 0; i < count; i++) ctx.store.deliver({ raw: Buffer.from(`Subject: ${i}\r\n\r\n${body}\r\n`), envelope: { mailFrom: '', rcptTo: ['bp@example.test'] }, source: 'api' });
    const transport = new Transport();
    const session = new ImapSession(ctx, transport, { isTls: false, cache: new MessageCache() });
    new Dispatcher(session, ctx).start();
    transport.push('a LOGIN bp@example.test x\r\nb SELECT INBOX\r\n');
    await transport.until('b OK');
    transport.isStalled = true;
    const before = transport.accepted;
    transport.push('c UID FETCH 1:* BODY.PEEK[]\r\n');
    // Once the first response is out (however long a loaded machine takes), give the session many event-loop turns:
    // without backpressure it would hand over all ~3 MB here.
    while (transport.accepted === before) await turn();
    for (let i = 0; i < 200; i++) await turn();
    const total = count * body.length;
    expect(transport.accepted - before).toBeGreaterThan(0);
    expect(transport.accepted - before).toBeLessThan(total / 10);
    expect(transport.output).not.toContain('c OK');
    transport.unstall();
    await transport.until('c OK');
    expect(transport.output.length - before).toBeGreaterThan(total);
    await session.close();
  });
});

/**
 * The server end of a connection whose writes can be held, as a client that reads slowly holds them: while a
 * write is held, `write()` reports backpressure and the session waits for 'drain'.
 */
class SlowReader {
  output = '';
  #held: (() => void) | null = null;
  #waiters: Array<() => void> = [];
  readonly stream: Duplex;

  constructor(private readonly holdWhen: (chunk: string) => boolean) {
    this.stream = new Duplex({
      writableHighWaterMark: 1,
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        const text = chunk.toString('latin1');
        this.output += text;
        if (this.holdWhen(text)) this.#held = cb;
        else cb();
        this.#wake();
      },
    });
  }

  send(line: string): void {
    this.stream.push(`${line}\r\n`);
  }

  /** Resolves once the output matches (driven by writes; fails after `ms` with what did arrive). */
  async until(pattern: RegExp, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pattern.test(this.output)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${pattern} in:\n${this.output}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  get isHolding(): boolean {
    return this.#held !== null;
  }

  release(): void {
    const cb = this.#held;
    this.#held = null;
    cb?.();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

describe('IMAP IDLE entered while the client reads slowly', () => {
  it('pushes a message that arrived while the IDLE continuation waited for the socket, without waiting for DONE', async () => {
    const ctx = createTestContext();
    const user = 'slow@example.test';
    const conn = new SlowReader((text) => text.startsWith('+ idling'));
    const session = new ImapSession(ctx, conn.stream, { isTls: false, cache: new MessageCache() });
    new Dispatcher(session, ctx).start();
    conn.send('a LOGIN slow@example.test x');
    await conn.until(/^a OK/m);
    conn.send('b SELECT INBOX');
    await conn.until(/^b OK/m);

    conn.send('c IDLE');
    await conn.until(/^\+ idling\r\n/m);
    expect(conn.isHolding).toBe(true);
    ctx.store.deliver({ raw: Buffer.from('Subject: during\r\n\r\nx\r\n'), envelope: { mailFrom: '', rcptTo: [user] }, source: 'smtp' });
    conn.release();

    await conn.until(/^\* 1 EXISTS\r\n/m);
    expect(conn.output).not.toMatch(/^c OK/m);
    conn.send('DONE');
    await conn.until(/^c OK IDLE terminated/m);
    await session.close();
  });
});
