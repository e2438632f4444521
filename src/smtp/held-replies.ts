/**
 * Replies of the message path (250, 354), held back until the end of the event loop's poll phase, when the replies to
 * every connection's commands of this turn go out one after another, each connection's in one write: as bare
 * smtp-server does with its setImmediate hooks. Written at once inside the read, each reply's write system call had
 * to wake a client asleep on the other CPU, which measured 322 -> 268 µs of server CPU per 1 KB message
 * (bench/lib/ingest-cpu.mjs). They are held as one string, not in a corked socket's buffer (a buffered write entry
 * and a `clearBuffer` pass per reply).
 */
export const heldReplyCodes: ReadonlySet<number> = new Set([250, 354]);

const flushHeld = (held: HeldReplies): void => held.flush();

export class HeldReplies {
  /** CRLF-terminated replies not yet written; '' when none. */
  #text = '';

  /** `write` puts text on the connection's socket, or drops it when nothing may be written (see SandboxSmtpConnection). */
  constructor(private readonly write: (text: string) => void) {}

  /** Holds a reply; the first one held schedules the write. */
  hold(payload: string): void {
    if (this.#text === '') setImmediate(flushHeld, this);
    this.#text += payload + '\r\n';
  }

  /** Writes what is held, in one write: at the end of the poll phase, or before a reply that must not wait. */
  flush(): void {
    const text = this.#text;
    if (text === '') return;
    this.#text = '';
    this.write(text);
  }
}
