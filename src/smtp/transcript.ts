import { detach } from '../shared/detach.js';
import type { SessionHandle } from '../store/session-log.js';
import { asRowText, keyedTranscriptRow, rowSince, transcriptRow, withRowSince, type CompactTranscript } from '../store/transcript.js';
import type { TranscriptLine } from '../store/types.js';

/** Characters kept of one line in a message's transcript. */
const maxLineChars = 1000;

/** What a redacted secret is recorded as. */
export const redacted = '<redacted>';

/**
 * The line to record for a client command: AUTH secrets never reach a transcript.
 * `isAuthContinuation` is true for the lines a client sends in answer to a `334` challenge
 * (the AUTH PLAIN/LOGIN payloads and the CRAM-MD5 response), which carry credentials whatever they look like.
 */
export function redactCommand(line: string, isAuthContinuation: boolean): string {
  if (isAuthContinuation) return redacted;
  // A line starting with a letter other than A cannot be AUTH (most lines: no regular expression for them).
  const first = line.charCodeAt(0) | 0x20;
  if (first >= 0x62 && first <= 0x7a) return line;
  // `AUTH PLAIN <base64>` and `AUTH LOGIN <base64 user>` carry the initial response (RFC 4954 §4) on the command line.
  const m = /^(\s*AUTH\s+\S+)\s+\S/i.exec(line);
  return m ? `${m[1]} ${redacted}` : line;
}

/**
 * One SMTP connection's transcript. Every line goes to the session log (`GET /api/v1/sessions/:id`); the lines since
 * the previous accepted message are also kept, bounded, to be stored with the next message (SPEC §5).
 *
 * Those lines are kept as rows of the stored encoding (transcript.ts), each made once as it is recorded: the stored
 * transcript is then one join. The first row's time is absolute (since the epoch), each other row's is since the
 * row before it, as in the stored form.
 */
export class SmtpTranscript {
  #rows: string[] = [];
  /** The time of the first kept row and of the last one, in ms since the epoch. */
  #firstAt = 0;
  #lastAt = 0;
  #omitted = 0;

  constructor(
    readonly session: SessionHandle,
    /**
     * Lines kept for one message's transcript. Past it the OLDEST are dropped: the transaction itself, at the end,
     * matters most, and a client that sends thousands of commands before DATA can't grow a stored message.
     */
    readonly maxLines: number,
  ) {}

  client(line: string): void {
    this.#record('C', line);
  }

  server(line: string): void {
    this.#record('S', line);
  }

  note(text: string): void {
    this.#record('*', text);
  }

  /**
   * The stored form of this message's transcript: the lines since the last accepted message plus `finalReply`,
   * the `250` that is about to be sent (it names the message id, so it is only known at this point).
   */
  forMessage(finalReply: string): CompactTranscript {
    const now = Date.now();
    const rows = this.#rows;
    const last = keyedTranscriptRow(rows.length ? now - this.#lastAt : now, 'S', asRowText(finalReply));
    if (this.#omitted === 0) {
      // The final reply is added for the join only: the rows stay as they were until the `250` goes out (a store
      // that refuses the message leaves them to the next message's transcript).
      rows.push(last);
      const text = rows.join('\n');
      rows.pop();
      return text;
    }
    // Some lines were dropped: a note says how many, at the first kept row's time, which that row is then relative to.
    const note = transcriptRow(this.#firstAt, '*', `${this.#omitted} earlier lines omitted`);
    return [note, withRowSince(rows[0], 0), ...rows.slice(1), last].join('\n');
  }

  /** The `250` after DATA was sent: it is already in the message's copy, so the next message starts afresh. */
  messageAccepted(finalReply: string): void {
    this.session.line('S', finalReply, true);
    this.#rows.length = 0;
    this.#omitted = 0;
  }

  #record(dir: TranscriptLine['dir'], line: string): void {
    // Every line recorded here is a string of its own: a command line decoded from its bytes, a reply or a note
    // formatted for it (see SessionHandle.line).
    this.session.line(dir, line, true);
    const rows = this.#rows;
    if (rows.length >= this.maxLines) this.#dropOldest();
    // Long lines are cut as in the session log, so 200 lines of 4 KiB can't add 800 KB to a stored message.
    const text = asRowText(line.length > maxLineChars ? detach(line.slice(0, maxLineChars)) + '…' : line);
    const at = Date.now();
    if (rows.length === 0) {
      this.#firstAt = at;
      rows.push(keyedTranscriptRow(at, dir, text));
    } else rows.push(keyedTranscriptRow(at - this.#lastAt, dir, text));
    this.#lastAt = at;
  }

  /** Drops the oldest row; the next one becomes the first, so its time is made absolute. */
  #dropOldest(): void {
    const rows = this.#rows;
    rows.shift();
    this.#omitted++;
    if (rows.length === 0) return;
    this.#firstAt += rowSince(rows[0]);
    rows[0] = withRowSince(rows[0], this.#firstAt);
  }
}
