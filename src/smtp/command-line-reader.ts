import type { Writable } from 'node:stream';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

type Done = (err?: Error | null) => void;
type WriteMethod = Writable['_write'];

/** The SMTPStream (3.21.6) state the command-mode reader reads and writes. */
export interface CommandLineParser {
  _dataMode: boolean;
  _maxCommandLength: number;
  isClosed: boolean;
  oncommand(command: Buffer, next?: () => void): void;
  _commandTooLong(): Error;
  _write: WriteMethod;
  _flushData(): void;
}

/** The library's own `_write`, still used for everything in data mode (dot-unstuffing, the terminator, limits). */
const libraryWrite = (SMTPStream.prototype as unknown as CommandLineParser)._write;

const CR = 0x0d;
const LF = 0x0a;
/** Commands dispatched synchronously before yielding, so a chunk full of pipelined commands can't starve others. */
const maxSyncCommands = 100;
const noBytes = Buffer.alloc(0);

/**
 * Command-mode line reading for smtp-server's SMTPStream, replacing its `_write` outside data mode and its
 * `_flushData`. The library ends a command at any LF, so `MAIL FROM:<a@b.test>\nRCPT TO:<x@y.test>` runs as two
 * commands, and a bare CR passes through inside the line. Here a command line ends only at CRLF (RFC 5321 §2.3.8),
 * so the connection sees every bare CR, bare LF and NUL inside the one line it belongs to and refuses that line
 * whole (SPEC §10). A bare LF is still answered at once: the bytes up to it go to the connection (which refuses
 * them with `501`) and the rest up to the next CRLF is dropped as the tail of that refused line. So a client that
 * ends lines with LF alone (`nc` without `-C`) gets an error that says why instead of silence, and no part of a
 * line with a bare LF ever runs as a command.
 *
 * `test/unit/smtp-command-line-reader.test.ts` fails when the library's versions of the replaced methods change.
 */
export class CommandLineReader {
  /** Bytes of a command line whose CRLF has not arrived yet. */
  #pending: Buffer = noBytes;
  /** True from a bare LF (already answered) until the CRLF that ends its line. */
  #isDroppingTail = false;

  constructor(private readonly parser: CommandLineParser) {}

  /** Makes `parser` read command lines with this reader. */
  static install(parser: CommandLineParser): CommandLineReader {
    const reader = new CommandLineReader(parser);
    parser._write = (chunk: Buffer, encoding: BufferEncoding, done: Done) => reader.write(chunk, encoding, done);
    parser._flushData = () => reader.flush();
    return reader;
  }

  write(chunk: Buffer, encoding: BufferEncoding, done: Done): void {
    const parser = this.parser;
    if (parser._dataMode) return libraryWrite.call(parser, chunk, encoding, done);
    if (!chunk.length || parser.isClosed) return done();
    const data = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = noBytes;
    this.#readLines(data, done);
  }

  /** The client half-closed: a last line without CRLF is still a command (the library does the same). */
  flush(): void {
    const line = this.#pending;
    this.#pending = noBytes;
    if (line.length && !this.#isDroppingTail && !this.parser.isClosed) this.parser.oncommand(line);
  }

  /** Dispatches the lines in `data` one by one; a handler may continue synchronously or later. */
  #readLines(data: Buffer, done: Done): void {
    const parser = this.parser;
    let pos = 0;
    let processed = 0;
    let isBusy = false;
    let isAgain = false;
    const readLine = (): void => {
      if (isBusy) {
        isAgain = true;
        return;
      }
      isBusy = true;
      try {
        for (;;) {
          isAgain = false;
          if (parser.isClosed) return done();
          if (parser._dataMode) return libraryWrite.call(parser, data.subarray(pos), 'buffer' as BufferEncoding, done);
          const line = this.#nextLine(data, pos);
          if (!line) return this.#keepPartial(data.subarray(pos), done);
          if (line === 'too-long') return done(parser._commandTooLong());
          pos = line.next;
          if (!line.command) continue;
          parser.oncommand(line.command, readLine);
          if (!isAgain) return; // the handler continues later through readLine
          if (++processed >= maxSyncCommands) {
            processed = 0;
            setImmediate(readLine);
            return;
          }
        }
      } finally {
        isBusy = false;
      }
    };
    readLine();
  }

  /**
   * The next line in `data` from `pos`: `command` is what to dispatch (none for the dropped tail of a refused
   * line), `next` where the following line starts. Undefined while no LF has arrived; a complete line longer than
   * the parser's hard cap is the library's fatal error, as a partial one is.
   */
  #nextLine(data: Buffer, pos: number): { command?: Buffer; next: number } | 'too-long' | undefined {
    const lf = data.indexOf(LF, pos);
    if (lf < 0) return undefined;
    const isCrlf = lf > pos && data[lf - 1] === CR;
    if (this.#isDroppingTail) {
      if (isCrlf) this.#isDroppingTail = false;
      return { next: lf + 1 };
    }
    const command = isCrlf ? data.subarray(pos, lf - 1) : data.subarray(pos, lf + 1);
    if (command.length > this.parser._maxCommandLength) return 'too-long';
    if (!isCrlf) this.#isDroppingTail = true;
    return { command, next: lf + 1 };
  }

  /** Keeps an incomplete line for the next chunk, up to the hard cap; the tail of a refused line is not kept. */
  #keepPartial(rest: Buffer, done: Done): void {
    if (this.#isDroppingTail) {
      // Only a final CR matters: with an LF at the start of the next chunk it is the CRLF that ends the tail.
      this.#pending = rest.length && rest[rest.length - 1] === CR ? Buffer.from([CR]) : noBytes;
      return done();
    }
    if (rest.length > this.parser._maxCommandLength) return done(this.parser._commandTooLong());
    // A copy, so a pending line never keeps a whole socket chunk alive.
    this.#pending = rest.length ? Buffer.from(rest) : noBytes;
    done();
  }
}
