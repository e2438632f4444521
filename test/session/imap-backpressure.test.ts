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
    // Give the session many event-loop turns: without backpressure it would hand over all ~3 MB here.
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
