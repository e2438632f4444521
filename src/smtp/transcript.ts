import { detach } from '../shared/detach.js';
import type { SessionHandle } from '../store/session-log.js';
import { encodeTranscript, type CompactTranscript } from '../store/transcript.js';
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
  // `AUTH PLAIN <base64>` and `AUTH LOGIN <base64 user>` carry the initial response (RFC 4954 §4) on the command line.
  const m = /^(\s*AUTH\s+\S+)\s+\S/i.exec(line);
  return m ? `${m[1]} ${redacted}` : line;
}

/**
 * One SMTP connection's transcript. Every line goes to the session log (`GET /api/v1/sessions/:id`); the lines since
 * the previous accepted message are also kept, bounded, to be stored with the next message (SPEC §5).
 */
export class SmtpTranscript {
  #transaction: TranscriptLine[] = [];
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
    const lines = this.#transaction;
    // The final reply is added for the encoding only: the lines stay as they were until the `250` goes out (a store
    // that refuses the message leaves them to the next message's transcript). No copies of the list on the way.
    lines.push({ at: now, dir: 'S', line: finalReply });
    const text = encodeTranscript(this.#omitted ? [{ at: lines[0].at, dir: '*', line: `${this.#omitted} earlier lines omitted` }, ...lines] : lines);
    lines.pop();
    return text;
  }

  /** The `250` after DATA was sent: it is already in the message's copy, so the next message starts afresh. */
  messageAccepted(finalReply: string): void {
    this.session.line('S', finalReply, true);
    this.#transaction = [];
    this.#omitted = 0;
  }

  #record(dir: TranscriptLine['dir'], line: string): void {
    // Every line recorded here is a string of its own: a command line decoded from its bytes, a reply or a note
    // formatted for it (see SessionHandle.line).
    this.session.line(dir, line, true);
    if (this.#transaction.length >= this.maxLines) {
      this.#transaction.shift();
      this.#omitted++;
    }
    // Long lines are cut as in the session log, so 200 lines of 4 KiB can't add 800 KB to a stored message.
    this.#transaction.push({ at: Date.now(), dir, line: line.length > maxLineChars ? detach(line.slice(0, maxLineChars)) + '…' : line });
  }
}
