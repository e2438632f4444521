/**
 * IMAP4rev1 data values (RFC 3501 §4) and their wire encoding.
 *
 * `null` is NIL, numbers are digits, arrays are parenthesised lists, strings go quoted when they can and as a
 * literal otherwise, Buffers always go as a literal (exact bytes), atoms (`\Seen`, `BODY[TEXT]`) go bare, and
 * runs are written back to back without spaces.
 */

/** A bare token such as a flag or a FETCH item name; never quoted. */
export interface ImapAtom {
  readonly atom: string;
}

/**
 * Items written back to back with no separator. RFC 3501's grammar has lists that are NOT space-separated:
 * `body-type-mpart = 1*body SP media-subtype` and `env-from = "(" 1*address ")"`, i.e. `((...)(...) "MIXED")`.
 */
export interface ImapRun {
  readonly run: ImapValue[];
}

export type ImapValue = string | number | null | Buffer | ImapAtom | ImapRun | ImapValue[];

/** Wraps `text` so `formatImapValue` writes it unquoted. The caller vouches that it is a valid atom. */
export function atom(text: string): ImapAtom {
  return { atom: text };
}

/** `(a)(b)(c)`: items with no space between them (see ImapRun). */
export function run(items: ImapValue[]): ImapRun {
  return { run: items };
}

// A quoted string may hold any 7-bit char except CR, LF and NUL (RFC 3501 §4.3 QUOTED-CHAR);
// anything else (8-bit UTF-8 header text, folded values) must be a literal.
const needsLiteral = /[^\x01-\x09\x0b\x0c\x0e-\x7f]/;
const needsEscape = /[\\"]/g;
/** Quotable as it is: no character that needs a literal or an escape (most header text; one scan, no replace). */
const isPlainQuoted = /^[\x01-\x09\x0b\x0c\x0e-\x21\x23-\x5b\x5d-\x7f]*$/;

/**
 * Encodes a value for the wire. Fast path: ASCII pieces are gathered into one string and only literals
 * (which carry raw bytes) split the output into Buffers.
 *
 * @example formatImapValue(['TEXT', 'PLAIN', null, 42]).toString() // '("TEXT" "PLAIN" NIL 42)'
 */
export function formatImapValue(value: ImapValue): Buffer {
  const out = written(value);
  return out.chunks.length > 0 ? Buffer.concat(out.chunks) : Buffer.from(out.text, 'latin1');
}

/**
 * `formatImapValue(value)` as text when it holds no literal (what an ENVELOPE or BODYSTRUCTURE nearly always is):
 * a one-byte string costs less to keep than a Buffer and joins the text of a FETCH line without a Buffer of its own.
 * With a literal, the bytes (8-bit text goes as UTF-8).
 */
export function formatImapText(value: ImapValue): string | Buffer {
  const out = written(value);
  if (out.chunks.length > 0) return Buffer.concat(out.chunks);
  // Made flat, through a Buffer (7-bit text: latin1 both ways): a string grown by `+=` is a tree of pieces that every
  // later use walks again (a FETCH line joining 10,000 cached ENVELOPEs that way took ~3x the CPU of the same lines
  // from flat strings), and a kept tree is ~100 objects for the garbage collector to go through.
  return Buffer.from(out.text, 'latin1').toString('latin1');
}

/** The value written out: text only (no chunks), or chunks with the text after the last literal flushed into them. */
function written(value: ImapValue): ImapWriter {
  const out: ImapWriter = { chunks: [], text: '' };
  write(out, value);
  if (out.chunks.length > 0) flush(out);
  return out;
}

interface ImapWriter {
  chunks: Buffer[];
  /** Pending 7-bit text not yet turned into a Buffer. */
  text: string;
}

function flush(out: ImapWriter): void {
  if (out.text) out.chunks.push(Buffer.from(out.text, 'latin1'));
  out.text = '';
}

function writeLiteral(out: ImapWriter, bytes: Buffer): void {
  out.text += `{${bytes.length}}\r\n`;
  flush(out);
  out.chunks.push(bytes);
}

function write(out: ImapWriter, value: ImapValue): void {
  if (value === null || value === undefined) {
    out.text += 'NIL';
  } else if (typeof value === 'string') {
    if (isPlainQuoted.test(value)) out.text += `"${value}"`;
    else if (needsLiteral.test(value)) writeLiteral(out, Buffer.from(value, 'utf8'));
    else out.text += `"${value.replace(needsEscape, '\\$&')}"`;
  } else if (typeof value === 'number') {
    out.text += Number.isFinite(value) ? String(Math.trunc(value)) : '0';
  } else if (Buffer.isBuffer(value)) {
    writeLiteral(out, value);
  } else if (Array.isArray(value)) {
    out.text += '(';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.text += ' ';
      write(out, value[i]!);
    }
    out.text += ')';
  } else if ('run' in value) {
    for (const item of value.run) write(out, item);
  } else {
    out.text += value.atom;
  }
}
