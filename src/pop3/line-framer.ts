/** What the framer hands the session: a command line (terminator stripped) or news of one that was too long. */
export type Frame = { kind: 'line'; line: Buffer } | { kind: 'overlong'; octets: number };

/**
 * Splits the POP3 client byte stream into lines. The only code that counts input bytes.
 *
 * A line ends at LF (a preceding CR is stripped); some clients send bare LF. A line longer than `maxLine`
 * octets (terminator included) is not buffered: its bytes are dropped as they arrive until the next LF,
 * and one `overlong` frame is produced there, so the answer comes in order and memory stays bounded.
 */
export class LineFramer {
  #pending: Buffer[] = [];
  #pendingLength = 0;
  /** Octets of an overlong line discarded so far, or -1 when not discarding. */
  #discarded = -1;

  constructor(readonly maxLine: number) {}

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf === -1) {
        this.#keep(chunk.subarray(start));
        break;
      }
      const piece = chunk.subarray(start, lf + 1);
      start = lf + 1;
      if (this.#discarded >= 0) {
        frames.push({ kind: 'overlong', octets: this.#discarded + piece.length });
        this.#discarded = -1;
        continue;
      }
      const total = this.#pendingLength + piece.length;
      if (total > this.maxLine) {
        this.#clear();
        frames.push({ kind: 'overlong', octets: total });
        continue;
      }
      const whole = this.#pending.length ? Buffer.concat([...this.#pending, piece]) : piece;
      this.#clear();
      frames.push({ kind: 'line', line: stripTerminator(whole) });
    }
    return frames;
  }

  /** Drops everything buffered (STLS: bytes sent before the handshake must not be executed, RFC 2595 §3.1). */
  reset(): void {
    this.#clear();
    this.#discarded = -1;
  }

  /** Octets held while waiting for the end of a line. */
  get buffered(): number {
    return this.#pendingLength;
  }

  #keep(part: Buffer): void {
    if (this.#discarded >= 0) {
      this.#discarded += part.length;
      return;
    }
    if (this.#pendingLength + part.length > this.maxLine) {
      this.#discarded = this.#pendingLength + part.length;
      this.#clear();
      return;
    }
    // Copy: the chunk's memory may belong to a larger pooled buffer we should not pin.
    this.#pending.push(Buffer.from(part));
    this.#pendingLength += part.length;
  }

  #clear(): void {
    this.#pending = [];
    this.#pendingLength = 0;
  }
}

function stripTerminator(line: Buffer): Buffer {
  let end = line.length - 1; // the LF
  if (end > 0 && line[end - 1] === 0x0d) end--;
  return line.subarray(0, end);
}
