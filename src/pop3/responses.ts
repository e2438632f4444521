/**
 * POP3 replies as values (STYLE §4): handlers return a `Reply` or throw a `Pop3Error`; the session's one
 * dispatcher renders them. Also the byte-level encoding of multi-line bodies (RFC 1939 §3 dot-stuffing).
 */

/** RFC 2449 §8 / RFC 3206 response codes we use. */
export type RespCode = 'IN-USE' | 'AUTH' | 'SYS/TEMP' | 'SYS/PERM';

/**
 * A `-ERR` answer. `isBadCommand` marks client mistakes that count towards `limits.pop3BadCommands`;
 * `closesConnection` ends the session after the answer (a failed commit at QUIT, RFC 1939 §6).
 */
export class Pop3Error extends Error {
  constructor(
    message: string,
    readonly code?: RespCode,
    readonly isBadCommand = true,
    readonly closesConnection = false,
  ) {
    super(message);
    this.name = 'Pop3Error';
  }
}

/** A multi-line message body (RETR/TOP): the bytes go out dot-stuffed; the transcript gets `note` instead. */
export interface BodyPayload {
  data: Buffer;
  note: string;
}

export type Reply =
  | {
      kind: 'ok';
      text: string;
      /** Multi-line listing (CAPA, LIST, UIDL, AUTH); lines never start with `.` but are stuffed anyway. */
      lines?: readonly string[];
      /** Recorded in the transcript instead of `lines` when the listing is long. */
      linesNote?: string;
      body?: BodyPayload;
      /** What the session does once the reply is written. */
      then?: 'close' | 'starttls';
    }
  | {
      /** A SASL continuation (RFC 5034 §4): `+ <base64>`, the next line goes to `next`. */
      kind: 'challenge';
      challenge: string;
      next: (line: string) => Reply;
    };

export function ok(text: string, extra: Omit<Extract<Reply, { kind: 'ok' }>, 'kind' | 'text'> = {}): Reply {
  return { kind: 'ok', text, ...extra };
}

export function formatError(err: Pop3Error): string {
  return `-ERR ${err.code ? `[${err.code}] ` : ''}${err.message}`;
}

const CRLF = Buffer.from('\r\n');
const DOT = Buffer.from('.');
const TERMINATOR = Buffer.from('.\r\n');
const LF_DOT = Buffer.from('\n.');

/**
 * The wire form of a multi-line body as a sequence of slices of `data` (no copy of the message):
 * a `.` is inserted before every line that starts with `.`, the last line gets a CRLF if it lacks one,
 * and `.CRLF` ends it. A line start is any byte after LF, not just after CRLF: clients such as Python's
 * poplib split on LF alone, so a bare-LF `.` line would otherwise end their read early.
 */
export function* dotStuff(data: Buffer): Generator<Buffer> {
  let start = 0;
  if (data.length > 0 && data[0] === 0x2e) {
    yield DOT;
  }
  for (let i = data.indexOf(LF_DOT); i !== -1; i = data.indexOf(LF_DOT, i + 2)) {
    yield data.subarray(start, i + 1);
    yield DOT;
    start = i + 1;
  }
  if (start < data.length) yield data.subarray(start);
  if (data.length > 0 && !endsWithCrlf(data)) yield CRLF;
  yield TERMINATOR;
}

/** Dot-stuffs lines of text (CAPA, LIST, UIDL) into one Buffer, terminator included. */
export function encodeLines(lines: readonly string[]): Buffer {
  const text = lines.map((l) => (l.startsWith('.') ? '.' + l : l) + '\r\n').join('');
  return Buffer.from(text + '.\r\n', 'utf8');
}

function endsWithCrlf(data: Buffer): boolean {
  return data.length >= 2 && data[data.length - 2] === 0x0d && data[data.length - 1] === 0x0a;
}

/**
 * TOP (RFC 1939 §7): the header, the blank line and the first `lines` lines of the body, as a slice of `raw`.
 * A message with no blank line is all header. `lines` past the end of the body gives the whole message.
 */
export function sliceTop(raw: Buffer, lines: number): Buffer {
  const headerEnd = findHeaderEnd(raw);
  if (headerEnd === -1) return raw;
  let end = headerEnd;
  for (let n = 0; n < lines && end < raw.length; n++) {
    const lf = raw.indexOf(0x0a, end);
    end = lf === -1 ? raw.length : lf + 1;
  }
  return raw.subarray(0, end);
}

/** Offset just past the blank line that ends the header (CRLF CRLF, or bare LF LF), or -1. */
function findHeaderEnd(raw: Buffer): number {
  // A message that starts with its blank line has an empty header.
  if (raw[0] === 0x0a) return 1;
  if (raw[0] === 0x0d && raw[1] === 0x0a) return 2;
  for (let i = raw.indexOf(0x0a); i !== -1; i = raw.indexOf(0x0a, i + 1)) {
    if (raw[i + 1] === 0x0a) return i + 2;
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}
