import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Pop3Session } from '../../src/pop3/pop3-session.js';
import { createTestContext } from './pop3-harness.js';
import type { ServerContext } from '../../src/shared/server-context.js';

/**
 * A server end whose writes are acknowledged only while `isReading`: a client that stops reading, as TCP
 * would show it. `wrote` resolves on the next write.
 */
function slowPeer() {
  const out: Buffer[] = [];
  const held: Array<() => void> = [];
  let onWrite: (() => void) | null = null;
  const peer = {
    out,
    isReading: true,
    stream: new Duplex({
      writableHighWaterMark: 16 * 1024,
      read() {},
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk);
        if (peer.isReading) cb();
        else held.push(cb);
        onWrite?.();
      },
    }),
    nextWrite: () => new Promise<void>((resolve) => (onWrite = resolve)),
    resume() {
      peer.isReading = true;
      for (const cb of held.splice(0)) cb();
    },
    text: () => Buffer.concat(out).toString('latin1'),
  };
  return peer;
}

function bigMessage(ctx: ServerContext): Buffer {
  const line = Buffer.from('.' + 'y'.repeat(62) + '\r\n');
  const raw = Buffer.alloc(line.length * 20_000).fill(line);
  ctx.store.deliver({ raw, envelope: { mailFrom: '', rcptTo: ['slow@example.test'] }, source: 'api' });
  return raw;
}

async function loggedIn(ctx: ServerContext) {
  const peer = slowPeer();
  const session = new Pop3Session(ctx, peer.stream, { isTls: false });
  const written = peer.nextWrite();
  peer.stream.push('USER slow@example.test\r\nPASS x\r\n');
  await written;
  while (!/has 1 messages/.test(peer.text())) await peer.nextWrite();
  return { peer, session };
}

describe('POP3 session: backpressure', () => {
  it('stops writing a large RETR while the client does not read, and finishes byte-exact once it does', async () => {
    const ctx = createTestContext();
    const raw = bigMessage(ctx);
    const { peer } = await loggedIn(ctx);
    peer.isReading = false;
    const before = peer.out.length;
    const firstBodyWrite = peer.nextWrite();
    peer.stream.push('RETR 1\r\n');
    await firstBodyWrite;
    await Promise.resolve();
    // What the session handed over but the peer has not taken: bounded by the high-water mark plus a slice.
    expect(peer.stream.writableLength).toBeLessThan(64 * 1024);
    expect(peer.stream.writableNeedDrain).toBe(true);
    peer.resume();
    while (!peer.text().endsWith('\r\n.\r\n')) await peer.nextWrite();
    const wire = Buffer.concat(peer.out.slice(before)).toString('latin1');
    const body = wire.slice(wire.indexOf('\r\n') + 2, -3);
    const unstuffed = body.split('\r\n').map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n');
    expect(Buffer.from(unstuffed, 'latin1').equals(raw)).toBe(true);
  });

  it('drops a client that stops reading in the middle of a RETR for the idle time', async () => {
    const ctx = createTestContext({ limits: { pop3IdleMs: 50 } });
    bigMessage(ctx);
    const { peer, session } = await loggedIn(ctx);
    peer.isReading = false;
    peer.stream.push('RETR 1\r\n');
    await session.closed;
    const lines = ctx.sessions.get(session.id)?.lines.map((l) => l.line) ?? [];
    expect(lines).toContain('idle timeout while sending; connection dropped');
    expect(ctx.store.getMailbox('slow@example.test')?.pop3LockedBy).toBeNull();
  });
});
