import type { Frame } from './framer.js';

/**
 * Turns a framed command into tokens (RFC 3501 §9 lexical rules). Pure: it throws only ImapSyntaxError.
 *
 * Atoms are kept as text; numbers, sequence sets and flags are atoms that the typed getters in args.ts interpret.
 * `BODY[...]`-like atoms carry their bracketed section and `<partial>`, because a section can contain a
 * parenthesised list (`BODY.PEEK[HEADER.FIELDS (From To)]`) that would otherwise break the atom.
 */
export type Token =
  | { type: 'atom'; value: string; section?: Token[]; partial?: string }
  | { type: 'string'; value: Buffer }
  /** `isBinary`: a literal8 (`~{n}`, RFC 3516), the one kind of string that may hold NUL; only APPEND takes it. */
  | { type: 'literal'; value: Buffer; isBinary?: true }
  | { type: 'nil' }
  | { type: 'list'; items: Token[] };

export class ImapSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImapSyntaxError';
  }
}

/** Parenthesis nesting deeper than this is refused (a hostile `((((...` must not exhaust the stack). */
export const maxListDepth = 32;

/** Atoms that may be followed by `[section]` and `<partial>` (RFC 3501 fetch-att, RFC 3516 BINARY). */
const sectionAtoms = new Set(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE']);

// atom-specials (RFC 3501 §9) minus `%` and `*`, which LIST patterns and sequence sets use inside atoms.
const isAtomEnd = (b: number): boolean => b <= 0x20 || b === 0x7f || b === 0x28 || b === 0x29 || b === 0x7b || b === 0x22;

class Cursor {
  seg = 0;
  pos = 0;
  constructor(readonly frame: Frame) {}

  get text(): Buffer {
    return this.frame.segments[this.seg];
  }

  /** The byte at the cursor, or -1 at the end of a segment. */
  peek(): number {
    return this.pos < this.text.length ? this.text[this.pos] : -1;
  }

  get isAtEnd(): boolean {
    return this.seg === this.frame.segments.length - 1 && this.pos >= this.text.length;
  }

  skipSpaces(): void {
    while (this.peek() === 0x20) this.pos++;
  }
}

/** All tokens of a command line, tag and command name included. */
export function tokenize(frame: Frame): Token[] {
  const c = new Cursor(frame);
  const tokens = readTokens(c, 0);
  c.skipSpaces();
  if (!c.isAtEnd) throw new ImapSyntaxError(c.peek() === 0x29 ? 'Unexpected )' : 'Unexpected character');
  return tokens;
}

function readTokens(c: Cursor, depth: number): Token[] {
  const out: Token[] = [];
  for (;;) {
    c.skipSpaces();
    const b = c.peek();
    if (b === 0x29 || (b === -1 && c.isAtEnd)) return out;
    if (b === 0x5d && depth < 0) return out;
    out.push(readToken(c, depth));
  }
}

function readToken(c: Cursor, depth: number): Token {
  const b = c.peek();
  if (b === 0x28) return readList(c, depth);
  if (b === 0x22) return { type: 'string', value: readQuoted(c) };
  if (b === 0x7b || (b === 0x7e && c.text[c.pos + 1] === 0x7b)) return readLiteral(c);
  if (b === -1) throw new ImapSyntaxError('Literal marker in the middle of a line');
  return readAtom(c, depth);
}

function readList(c: Cursor, depth: number): Token {
  const level = Math.abs(depth) + 1;
  if (level > maxListDepth) throw new ImapSyntaxError('Lists nested too deeply');
  c.pos++;
  const items = readTokens(c, level);
  if (c.peek() !== 0x29) throw new ImapSyntaxError('Missing )');
  c.pos++;
  return { type: 'list', items };
}

function readQuoted(c: Cursor): Buffer {
  c.pos++;
  const bytes: number[] = [];
  for (;;) {
    const b = c.peek();
    if (b === -1) throw new ImapSyntaxError('Unterminated quoted string');
    // QUOTED-CHAR excludes NUL (RFC 3501 §9): only a literal8 may carry one.
    if (b === 0) throw new ImapSyntaxError('A quoted string may not carry a NUL octet');
    c.pos++;
    if (b === 0x22) return Buffer.from(bytes);
    if (b === 0x5c) {
      const next = c.peek();
      // RFC 3501 quoted-specials: only `"` and `\` may be escaped.
      if (next !== 0x22 && next !== 0x5c) throw new ImapSyntaxError('Bad escape in quoted string');
      c.pos++;
      bytes.push(next);
    } else bytes.push(b);
  }
}

function readLiteral(c: Cursor): Token {
  const rest = c.text.subarray(c.pos).toString('latin1');
  if (!/^~?\{\d+\+?\}$/.test(rest) || c.seg >= c.frame.literals.length) throw new ImapSyntaxError('Bad literal');
  const value = c.frame.literals[c.seg];
  c.seg++;
  c.pos = 0;
  if (rest.startsWith('~')) return { type: 'literal', value, isBinary: true };
  // RFC 3501 §4.3 / RFC 9051 §4.3: a literal is CHAR8, no NUL; only a literal8 may carry one (RFC 3516 §4.3).
  if (value.includes(0)) throw new ImapSyntaxError('A literal may not carry a NUL octet (RFC 3501 section 4.3); only a literal8 ~{n} may');
  return { type: 'literal', value };
}

function readAtom(c: Cursor, depth: number): Token {
  const start = c.pos;
  // Inside a section (`depth < 0`) `]` ends the atom.
  while (c.peek() !== -1 && !isAtomEnd(c.peek()) && c.peek() !== 0x5b && !(c.peek() === 0x5d && depth < 0)) c.pos++;
  let value = c.text.subarray(start, c.pos).toString('utf8');
  if (c.peek() !== 0x5b || !sectionAtoms.has(value.toUpperCase())) {
    // `[` is an ordinary atom character elsewhere (a mailbox called `a[b]`); take it and what follows.
    while (depth >= 0 && (c.peek() === 0x5b || c.peek() === 0x5d)) {
      c.pos++;
      while (c.peek() !== -1 && !isAtomEnd(c.peek()) && c.peek() !== 0x5b && c.peek() !== 0x5d) c.pos++;
    }
    value = c.text.subarray(start, c.pos).toString('utf8');
    if (value === '') throw new ImapSyntaxError('Unexpected character');
    return /^nil$/i.test(value) ? { type: 'nil' } : { type: 'atom', value };
  }
  c.pos++;
  const section = readTokens(c, -(Math.abs(depth) + 1));
  if (c.peek() !== 0x5d) throw new ImapSyntaxError('Missing ]');
  c.pos++;
  const token: Token = { type: 'atom', value, section };
  if (c.peek() === 0x3c) {
    const m = /^<(\d+(?:\.\d+)?)>/.exec(c.text.subarray(c.pos, c.pos + 40).toString('latin1'));
    if (!m) throw new ImapSyntaxError('Bad partial');
    c.pos += m[0].length;
    token.partial = m[1];
  }
  return token;
}
