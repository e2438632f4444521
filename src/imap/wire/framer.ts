/**
 * Splits the client's byte stream into IMAP command frames: text segments separated by literals
 * (RFC 3501 §4.3, RFC 7888 LITERAL+, RFC 3516 literal8). The only code that counts bytes.
 *
 * A frame is `segments[0] {n} literals[0] segments[1] ... segments[k]`: every segment but the last ends with its
 * literal marker (`{n}`, `{n+}`, or `~{n}`/`~{n+}` for a literal8), so the tokenizer sees exactly what the client
 * wrote, minus CRLFs. Literal8s are counted and limited exactly as literals are; which bytes they may hold (NUL) is
 * the tokenizer's business.
 *
 * Parsing is lazy: bytes are only examined when `next()` is called, so a literal announcement is judged in the
 * session state that holds after every earlier command has completed (a pipelined LOGIN + APPEND works).
 * Literals are collected chunk by chunk as they arrive; an announced size is never pre-allocated.
 */

export interface Frame {
  /** Command text between literals, without CRLF. `segments.length === literals.length + 1`. */
  segments: Buffer[];
  literals: Buffer[];
}

export type FramerEvent =
  /** A complete command. */
  | { kind: 'frame'; frame: Frame }
  /** A literal was announced: the caller must call `acceptLiteral()` or `rejectLiteral()` before `next()`. */
  | { kind: 'literal'; size: number; isNonSync: boolean; isBinary: boolean; head: Buffer }
  /** A command line over the limit; it was discarded up to its end. `head` is its start, for the tag. */
  | { kind: 'too-long'; head: Buffer };

/** How much of a discarded line is kept, to find the tag for the BAD answer. */
const headBytes = 128;
const literalMarker = /(~?)\{(\d{1,20})(\+?)\}$/;

export class ImapFramer {
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #state: 'line' | 'decide' | 'literal' | 'discard' = 'line';
  // The command being assembled.
  #segments: Buffer[] = [];
  #literals: Buffer[] = [];
  #textBytes = 0;
  // The line being assembled (chunks without LF so far).
  #lineParts: Buffer[] = [];
  #lineBytes = 0;
  #head: Buffer = Buffer.alloc(0);
  // The literal being collected.
  #literalLeft = 0;
  #literalParts: Buffer[] = [];

  /** @param maxLineLength bytes of command text per command, literals excluded. */
  constructor(readonly maxLineLength: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
  }

  /** Bytes received but not yet consumed (for input backpressure). */
  get bufferedBytes(): number {
    return this.#queued;
  }

  /** Bytes of the literals already collected for the command being assembled (all literals count to one limit). */
  get literalBytes(): number {
    return this.#literals.reduce((n, l) => n + l.length, 0);
  }

  /** True when a command has started but is not complete (e.g. waiting for a literal). */
  get isMidCommand(): boolean {
    return this.#state !== 'line' || this.#segments.length > 0 || this.#lineBytes > 0;
  }

  /** The next event, or null when more bytes are needed. */
  next(): FramerEvent | null {
    for (;;) {
      switch (this.#state) {
        case 'decide':
          throw new Error('literal announced: acceptLiteral() or rejectLiteral() first');
        case 'discard':
          if (!this.#skipToLineEnd()) return null;
          return this.#finishDiscard();
        case 'literal': {
          const literal = this.#takeLiteral();
          if (!literal) return null;
          this.#literals.push(literal);
          this.#state = 'line';
          break;
        }
        case 'line': {
          const line = this.#takeLine(this.#textBytes);
          if (line === 'too-long') {
            this.#state = 'discard';
            break;
          }
          if (!line) return null;
          return this.#onLine(line);
        }
      }
    }
  }

  /** The literal announced by the last `literal` event is coming: collect it. */
  acceptLiteral(size: number): void {
    if (this.#state !== 'decide') throw new Error('no literal announced');
    this.#state = 'literal';
    this.#literalLeft = size;
    this.#literalParts = [];
  }

  /** Drops the command whose literal was refused (a synchronizing literal the client will not send). */
  rejectLiteral(): void {
    if (this.#state !== 'decide') throw new Error('no literal announced');
    this.#resetCommand();
  }

  /**
   * The next raw line (an AUTHENTICATE response, IDLE's `DONE`), with no literal parsing; null when incomplete,
   * `too-long` when over the limit (the line is then discarded).
   */
  nextLine(): Buffer | 'too-long' | null {
    if (this.#state === 'discard') {
      if (!this.#skipToLineEnd()) return null;
      this.#resetCommand();
      return 'too-long';
    }
    const line = this.#takeLine(0);
    if (line === 'too-long') {
      this.#state = 'discard';
      return this.nextLine();
    }
    return line;
  }

  /** Forgets every byte received so far (plaintext pipelined after STARTTLS must not be executed). */
  reset(): void {
    this.#queue.length = 0;
    this.#queued = 0;
    this.#resetCommand();
  }

  #onLine(line: Buffer): FramerEvent {
    this.#segments.push(line);
    this.#textBytes += line.length;
    const tail = line.subarray(Math.max(0, line.length - 24)).toString('latin1');
    const m = literalMarker.exec(tail);
    if (m) {
      this.#state = 'decide';
      return { kind: 'literal', size: Number(m[2]), isNonSync: m[3] === '+', isBinary: m[1] === '~', head: this.#segments[0] };
    }
    const frame: Frame = { segments: this.#segments, literals: this.#literals };
    this.#resetCommand();
    return { kind: 'frame', frame };
  }

  #finishDiscard(): FramerEvent {
    const head = this.#head;
    this.#resetCommand();
    return { kind: 'too-long', head };
  }

  #resetCommand(): void {
    this.#state = 'line';
    this.#segments = [];
    this.#literals = [];
    this.#textBytes = 0;
    this.#lineParts = [];
    this.#lineBytes = 0;
    this.#literalParts = [];
    this.#literalLeft = 0;
  }

  /** A line up to LF (CR stripped), 'too-long' once `already` + its bytes pass the limit, or null when incomplete. */
  #takeLine(already: number): Buffer | 'too-long' | null {
    while (this.#queue.length > 0) {
      const chunk = this.#queue[0];
      const lf = chunk.indexOf(10);
      const part = lf < 0 ? chunk : chunk.subarray(0, lf);
      this.#noteHead(part);
      if (already + this.#lineBytes + part.length > this.maxLineLength + 1) return 'too-long';
      this.#consume(lf < 0 ? chunk.length : lf + 1);
      this.#lineParts.push(part);
      this.#lineBytes += part.length;
      if (lf < 0) continue;
      let line = this.#lineParts.length === 1 ? this.#lineParts[0] : Buffer.concat(this.#lineParts);
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      this.#lineParts = [];
      this.#lineBytes = 0;
      if (already + line.length > this.maxLineLength) return 'too-long';
      return line;
    }
    return null;
  }

  /** Keeps the start of a command's first line (whatever the chunking), to find the tag of a refused line. */
  #noteHead(part: Buffer): void {
    const cap = Math.min(headBytes, this.maxLineLength);
    if (this.#segments.length > 0 || this.#lineBytes >= cap) return;
    const take = part.subarray(0, cap - this.#lineBytes);
    this.#head = this.#lineBytes === 0 ? take : Buffer.concat([this.#head, take]);
  }

  #skipToLineEnd(): boolean {
    while (this.#queue.length > 0) {
      const lf = this.#queue[0].indexOf(10);
      if (lf >= 0) {
        this.#consume(lf + 1);
        return true;
      }
      this.#consume(this.#queue[0].length);
    }
    return false;
  }

  #takeLiteral(): Buffer | null {
    while (this.#literalLeft > 0 && this.#queue.length > 0) {
      const chunk = this.#queue[0];
      const n = Math.min(chunk.length, this.#literalLeft);
      this.#literalParts.push(chunk.subarray(0, n));
      this.#consume(n);
      this.#literalLeft -= n;
    }
    if (this.#literalLeft > 0) return null;
    const parts = this.#literalParts;
    this.#literalParts = [];
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  #consume(n: number): void {
    const chunk = this.#queue[0];
    if (n >= chunk.length) this.#queue.shift();
    else this.#queue[0] = chunk.subarray(n);
    this.#queued -= n;
  }
}
