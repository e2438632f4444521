import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/imap/dispatcher.js';
import { MessageCache } from '../../src/imap/message-cache.js';
import { ImapSession } from '../../src/imap/session.js';
import { createTestContext } from './imap-harness.js';

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
