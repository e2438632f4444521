import type { ImapSession } from '../../session.js';

/** Text gathered before it is turned into bytes (one Buffer per batch, not several per message). */
export const batchChars = 32 * 1024;

/**
 * FETCH responses gathered in batches: short text lines are concatenated and become one Buffer, message bytes
 * are queued as they are, and the transcript gets one call per batch (splitting it into lines as before), or once
 * it is full only a count. A 10,000-message `FETCH 1:* (FLAGS)` was 10,000 sends with several small Buffers and a
 * transcript call each.
 */
export class FetchBatch {
  /** Whole response lines (CRLF included) not yet turned into a chunk. */
  #text = '';
  #chunks: Buffer[] = [];
  #bytes = 0;
  /** Transcript text, an entry per call (one of lines() may hold many lines, CRLF between them). */
  #transcript: string[] = [];
  /** Lines sent while the transcript was full (counted, not kept). */
  #dropped = 0;
  /** Read once per batch: once the transcript is full, lines are only counted (their text is not kept). */
  isTranscriptFull: boolean;

  constructor(readonly session: ImapSession) {
    this.isTranscriptFull = session.isTranscriptFull;
  }

  /** `n` whole response lines (CRLF included) as one string: one append (the session log splits them into lines). */
  lines(text: string, n: number): void {
    if (n === 0) return;
    this.#text += text;
    if (this.isTranscriptFull) this.#dropped += n;
    else this.#transcript.push(text.slice(0, -2));
  }

  /** A whole response line (CRLF included), shown in the transcript as it is. */
  line(text: string): void {
    this.lines(text, 1);
  }

  /**
   * One response: its bytes up to its last literal (none for most), then its text to the end (CRLF included), which
   * joins the batch's text; `shown` is its transcript form.
   */
  response(bytes: readonly Buffer[], text: string, shown: string): void {
    if (bytes.length > 0) {
      this.#endText();
      for (const b of bytes) {
        this.#chunks.push(b);
        this.#bytes += b.length;
      }
    }
    this.#text += text;
    if (this.isTranscriptFull) this.#dropped++;
    else this.#transcript.push(shown);
  }

  get isDue(): boolean {
    return this.#text.length >= batchChars || this.#bytes >= batchChars;
  }

  async flush(): Promise<void> {
    this.#endText();
    if (this.#chunks.length === 0) return;
    const chunks = this.#chunks;
    const transcript = this.#transcript;
    const dropped = this.#dropped;
    this.#dropped = 0;
    this.#chunks = [];
    this.#bytes = 0;
    this.#transcript = [];
    // Once the transcript is full its lines are only counted.
    if (transcript.length === 0) await this.session.sendUnrecorded(chunks, dropped);
    else await this.session.send(chunks, dropped > 0 ? [...transcript, '*' + '\n*'.repeat(dropped - 1)].join('\n') : transcript.join('\n'));
    this.isTranscriptFull = this.session.isTranscriptFull;
  }

  /**
   * The text gathered so far becomes a chunk: one native conversion per batch, not a write per line. Into a Buffer
   * of its own, written in place: `Buffer.from` of a 32 KiB string cost several times as much (~40 µs).
   */
  #endText(): void {
    const text = this.#text;
    if (text.length === 0) return;
    const b = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
    b.write(text, 0, 'utf8');
    this.#text = '';
    this.#chunks.push(b);
    this.#bytes += b.length;
  }
}
