import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { constants, deflateRawSync, createDeflateRaw, createInflateRaw } from 'node:zlib';
import { Dispatcher } from '../../src/imap/dispatcher.js';
import { MessageCache } from '../../src/imap/message-cache.js';
import { ImapSession } from '../../src/imap/session.js';
import { createTestContext } from '../session/imap-harness.js';
import type { Sandbox } from '../../src/index.js';
import { eml, imapSandbox, imapflowClient } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/** COMPRESS=DEFLATE (RFC 4978) with imapflow (which turns it on when offered) and with Node's zlib by hand. */
let sandbox: Sandbox;
afterEach(async () => {
  await sandbox?.close();
});

/** A client speaking raw deflate both ways once COMPRESS is on. */
async function compressedClient(port: number, user: string): Promise<{ command(tag: string, line: string): Promise<string>; raw: RawImap }> {
  const raw = await RawImap.connect(port);
  await raw.command('L', `LOGIN ${user} x`);
  expect(await raw.command('Z', 'COMPRESS DEFLATE')).toMatch(/^Z OK DEFLATE active/m);
  raw.socket.removeAllListeners('data');
  const inflate = createInflateRaw();
  const deflate = createDeflateRaw();
  deflate.on('data', (d: Buffer) => raw.socket.write(d));
  raw.socket.on('data', (d: Buffer) => inflate.write(d));
  let text = '';
  const waiters: Array<() => void> = [];
  inflate.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    for (const w of waiters.splice(0)) w();
  });
  return {
    raw,
    async command(tag, line) {
      const start = text.length;
      deflate.write(`${tag} ${line}\r\n`);
      deflate.flush(constants.Z_SYNC_FLUSH);
      const done = new RegExp(`^${tag} (OK|NO|BAD)[^\r\n]*\r\n`, 'm');
      while (!done.test(text.slice(start))) {
        if (raw.socket.destroyed) throw new Error(`connection closed; got ${text.slice(start)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          raw.socket.once('close', resolve);
        });
      }
      return text.slice(start);
    },
  };
}

describe('COMPRESS=DEFLATE (RFC 4978)', () => {
  it('is advertised and used by imapflow, which then fetches bodies through it', async () => {
    sandbox = await imapSandbox();
    const body = 'compressible '.repeat(2000);
    await sandbox.deliver(eml('big', body), { to: 'z@example.test' });
    const flow = await imapflowClient(sandbox, 'z@example.test');
    try {
      expect(flow.capabilities.has('COMPRESS=DEFLATE')).toBe(true);
      await flow.mailboxOpen('INBOX');
      const msg = await flow.fetchOne('1', { source: true });
      expect(msg && msg.source!.toString()).toContain(body);
      const lines = sandbox.context.sessions.list('imap')[0].lines.map((l) => l.line);
      expect(lines).toContain('COMPRESS=DEFLATE started');
    } finally {
      await flow.logout();
    }
  });

  it('serves a hand-driven zlib session and refuses a second COMPRESS with NO [COMPRESSIONACTIVE]', async () => {
    sandbox = await imapSandbox();
    await sandbox.deliver(eml('hello', 'x'.repeat(50_000)), { to: 'z@example.test' });
    const c = await compressedClient(sandbox.ports.imap!, 'z@example.test');
    expect(await c.command('S', 'SELECT INBOX')).toMatch(/\* 1 EXISTS[\s\S]*S OK/);
    const fetched = await c.command('F', 'FETCH 1 BODY.PEEK[TEXT]');
    expect(fetched).toContain('x'.repeat(50_000));
    expect(await c.command('Z2', 'COMPRESS DEFLATE')).toMatch(/^Z2 NO \[COMPRESSIONACTIVE\]/m);
    expect(await c.command('N', 'NOOP')).toMatch(/^N OK/m);
    c.raw.end();
  });

  it('refuses COMPRESS before login and an unknown mechanism, uncompressed', async () => {
    sandbox = await imapSandbox();
    const c = await RawImap.connect(sandbox.ports.imap!);
    expect(await c.command('A', 'COMPRESS DEFLATE')).toMatch(/^A BAD Log in first/m);
    await c.command('L', 'LOGIN z@example.test x');
    expect(await c.command('B', 'COMPRESS LZ4')).toMatch(/^B BAD Unknown compression mechanism/m);
    expect(await c.command('C', 'NOOP')).toMatch(/^C OK/m);
    c.end();
  });

  it('closes only the connection that sends a stream that does not inflate; the server goes on', async () => {
    sandbox = await imapSandbox();
    const c = await RawImap.connect(sandbox.ports.imap!);
    await c.command('L', 'LOGIN z@example.test x');
    await c.command('Z', 'COMPRESS DEFLATE');
    // 0xff... is not a valid deflate block header sequence.
    c.write(Buffer.alloc(64, 0xff));
    await c.closed;
    const other = await compressedClient(sandbox.ports.imap!, 'z@example.test');
    expect(await other.command('N', 'NOOP')).toMatch(/^N OK/m);
    other.raw.end();
    expect(deflateRawSync(Buffer.from('sanity')).length).toBeGreaterThan(0);
  });

  it('keeps back-pressure: while the client is not reading, the session stops producing compressed output', async () => {
    const ctx = createTestContext();
    const count = 120;
    const bodies = Array.from({ length: count }, () => randomBytes(6_000).toString('base64'));
    for (const b of bodies) ctx.store.deliver({ raw: Buffer.from(`Subject: r\r\n\r\n${b}\r\n`), envelope: { mailFrom: '', rcptTo: ['bp@example.test'] }, source: 'api' });
    const transport = new StallingTransport();
    const session = new ImapSession(ctx, transport, { isTls: false, cache: new MessageCache() });
    new Dispatcher(session, ctx).start();
    transport.push('a LOGIN bp@example.test x\r\nb SELECT INBOX\r\nz COMPRESS DEFLATE\r\n');
    await transport.until(() => transport.output.includes('z OK'));
    const plainLength = transport.output.length;
    const deflate = createDeflateRaw();
    deflate.on('data', (d: Buffer) => transport.push(d));
    const send = (line: string): void => {
      deflate.write(line);
      deflate.flush(constants.Z_SYNC_FLUSH);
    };
    transport.isStalled = true;
    const before = transport.accepted;
    send('c UID FETCH 1:* BODY.PEEK[]\r\n');
    const fetchesWritten = (): number => ctx.sessions.list('imap')[0].lines.filter((l) => /^\* \d+ FETCH/.test(l.line)).length;
    // Inflating and deflating run on the thread pool: wait until the FETCH is under way and its first compressed
    // bytes have reached the transport (however long a loaded machine takes), then give it many turns to run on.
    await transport.until(() => fetchesWritten() > 0);
    await transport.until(() => transport.accepted > before);
    for (let i = 0; i < 300; i++) await turn();
    const total = bodies.reduce((n, b) => n + b.length, 0);
    // base64 of random bytes deflates to about 3/4 of its size: without back-pressure ~1.1 MB would be handed over.
    expect(transport.accepted - before).toBeGreaterThan(0);
    expect(transport.accepted - before).toBeLessThan(total / 10);
    // And the session itself waited: it rendered only the FETCH responses that fit in the buffers on the way.
    expect(fetchesWritten()).toBeLessThan(count / 4);
    transport.unstall();
    const inflate = createInflateRaw();
    let text = '';
    inflate.on('data', (d: Buffer) => (text += d.toString('latin1')));
    let fed = plainLength;
    await transport.until(() => {
      if (transport.output.length > fed) {
        inflate.write(Buffer.from(transport.output.slice(fed), 'latin1'));
        fed = transport.output.length;
      }
      return text.includes('c OK');
    });
    expect(text).toContain(bodies[count - 1]);
    await session.close();
  });
});

/** A transport whose reader can stall: held writes are not acknowledged, so `write()` returns false. */
class StallingTransport extends Duplex {
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

  get accepted(): number {
    return this.output.length + this.writableLength;
  }

  async until(done: () => boolean): Promise<void> {
    while (!done()) await turn();
  }
}
