import type { Duplex } from 'node:stream';

/**
 * The output seam of fault injection, shared by the three protocols: each writes its replies with `stream.write`,
 * so a fault that slows or cuts output takes over that one method on the connection's stream for the duration of
 * a command (or a whole session), and no command has code of its own for it.
 */

type WriteCallback = (err?: Error | null) => void;
type Write = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;

interface Tapped {
  write: Write;
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

function callbackOf(encoding: unknown, cb: unknown): WriteCallback | undefined {
  if (typeof encoding === 'function') return encoding as WriteCallback;
  return typeof cb === 'function' ? (cb as WriteCallback) : undefined;
}

/** Takes the instance's `write` back to the prototype's. */
function untap(stream: Duplex, write: Write): void {
  if ((stream as unknown as Tapped).write === write) delete (stream as unknown as Partial<Tapped>).write;
}

export interface Throttle {
  /** Stops throttling once what is queued has trickled out (later writes keep their order behind it). */
  release(): void;
}

/**
 * Makes everything written to `stream` trickle out at about `bytesPerSecond`, in slices every ~100 ms. `write()`
 * answers false while bytes wait, and 'drain' is emitted when the queue empties, so writers that respect
 * backpressure (all of ours) wait for the trickle instead of queueing without bound.
 */
export function throttleStream(stream: Duplex, bytesPerSecond: number): Throttle {
  const original = stream.write as unknown as Write;
  const slice = Math.max(1, Math.floor(bytesPerSecond / 10));
  const intervalMs = Math.max(1, Math.round((slice * 1000) / bytesPerSecond));
  const queue: Array<{ buf: Buffer; cb?: WriteCallback }> = [];
  let timer: NodeJS.Timeout | null = null;
  let isReleased = false;
  const pump = (): void => {
    timer = null;
    if (stream.destroyed) {
      queue.length = 0;
      return;
    }
    let budget = slice;
    while (budget > 0 && queue.length) {
      const head = queue[0];
      const part = head.buf.subarray(0, budget);
      budget -= part.length;
      head.buf = head.buf.subarray(part.length);
      const done = head.buf.length === 0 ? queue.shift()?.cb : undefined;
      original.call(stream, part, done);
    }
    if (queue.length) timer = setTimeout(pump, intervalMs);
    else {
      if (isReleased) untap(stream, tapped);
      stream.emit('drain');
    }
  };
  const tapped: Write = (chunk, encoding, cb) => {
    queue.push({ buf: toBuffer(chunk, encoding), cb: callbackOf(encoding, cb) });
    timer ??= setTimeout(pump, 0);
    return false;
  };
  (stream as unknown as Tapped).write = tapped;
  stream.once('close', () => {
    if (timer) clearTimeout(timer);
    queue.length = 0;
  });
  return {
    release() {
      isReleased = true;
      if (!queue.length && !timer) untap(stream, tapped);
    },
  };
}

export interface Capture {
  /** Restores normal writing and returns everything written meanwhile. */
  take(): Buffer;
}

/** Holds back everything written to `stream` (for a `partial` disconnect: the response is cut before it goes out). */
export function captureStream(stream: Duplex): Capture {
  const held: Buffer[] = [];
  const tapped: Write = (chunk, encoding, cb) => {
    held.push(toBuffer(chunk, encoding));
    const done = callbackOf(encoding, cb);
    if (done) queueMicrotask(() => done(null));
    return true;
  };
  (stream as unknown as Tapped).write = tapped;
  return {
    take() {
      untap(stream, tapped);
      return Buffer.concat(held);
    },
  };
}

/**
 * Where a response is cut for a `partial` disconnect: in the middle of its first literal (IMAP `{n}\r\n`), so a
 * client sees a literal cut short; otherwise after half of its bytes (mid-RETR, mid-reply). Never all of it.
 */
export function partialLength(response: Buffer): number {
  const text = response.toString('latin1');
  const m = /\{(\d+)\}\r\n/.exec(text);
  if (m && Number(m[1]) >= 2) return Math.min(response.length - 1, m.index + m[0].length + Math.floor(Number(m[1]) / 2));
  return Math.max(0, Math.floor(response.length / 2));
}

/** Writes the first part of `response` and drops the connection once it is out. */
export function writePartialAndDrop(stream: Duplex, response: Buffer): void {
  const part = response.subarray(0, partialLength(response));
  if (part.length === 0 || stream.destroyed) {
    stream.destroy();
    return;
  }
  stream.write(part, () => stream.destroy());
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
