import { Duplex } from 'node:stream';
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';

/**
 * COMPRESS=DEFLATE (RFC 4978) as a Duplex over the connection (plain or TLS): what is read is inflated, what is
 * written is deflated and sync-flushed, so every response reaches the client at once. Back-pressure holds both
 * ways: a write completes only once zlib flushed it and the connection took its output (writes queue up to the
 * usual high-water mark, then `write()` returns false); reading pauses the connection while the session isn't
 * reading. A stream that doesn't inflate (garbage) destroys this stream and the connection under it.
 */
export class DeflateStream extends Duplex {
  readonly #raw: Duplex;
  readonly #inflate: InflateRaw;
  readonly #deflate: DeflateRaw;

  constructor(raw: Duplex) {
    super();
    this.#raw = raw;
    this.#inflate = createInflateRaw();
    this.#deflate = createDeflateRaw();
    this.#deflate.on('data', (chunk: Buffer) => {
      if (!raw.write(chunk)) {
        this.#deflate.pause();
        raw.once('drain', () => this.#deflate.resume());
      }
    });
    this.#inflate.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) raw.pause();
    });
    raw.on('data', (chunk: Buffer) => this.#inflate.write(chunk));
    const fail = (err: Error): void => {
      this.destroy(err);
    };
    this.#inflate.on('error', fail);
    this.#deflate.on('error', fail);
    raw.on('error', fail);
    raw.on('close', () => this.destroy());
    raw.on('end', () => this.push(null));
  }

  override _read(): void {
    this.#raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#deflate.write(chunk);
    this.#deflate.flush(constants.Z_SYNC_FLUSH, () => callback());
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#deflate.end(() => {
      this.#raw.end();
      callback();
    });
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#inflate.destroy();
    this.#deflate.destroy();
    this.#raw.destroy();
    callback(err);
  }
}
