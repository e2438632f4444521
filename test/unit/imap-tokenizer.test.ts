import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ImapSyntaxError, maxListDepth, tokenize, type Token } from '../../src/imap/wire/tokenizer.js';
import type { Frame } from '../../src/imap/wire/framer.js';

const line = (text: string, ...literals: string[]): Frame => {
  const segments = text.split(/(?<=\{\d+\+?\})/).map((s) => Buffer.from(s));
  return { segments, literals: literals.map((l) => Buffer.from(l, 'latin1')) };
};

/** Tokens as plain data, Buffers as strings, for readable expectations. */
function plain(tokens: Token[]): unknown[] {
  return tokens.map((t) => {
    switch (t.type) {
      case 'atom':
        return t.section ? { atom: t.value, section: plain(t.section), partial: t.partial } : t.value;
      case 'string':
        return { string: t.value.toString() };
      case 'literal':
        return t.isBinary ? { literal8: t.value.toString('latin1') } : { literal: t.value.toString() };
      case 'nil':
        return null;
      case 'list':
        return plain(t.items);
    }
  });
}

describe('IMAP tokenizer', () => {
  it.each([
    ['a1 NOOP', ['a1', 'NOOP']],
    ['a1 LOGIN "bob" "p\\"w\\\\d"', ['a1', 'LOGIN', { string: 'bob' }, { string: 'p"w\\d' }]],
    ['a1 FETCH 1:* (FLAGS UID)', ['a1', 'FETCH', '1:*', ['FLAGS', 'UID']]],
    ['a1 ID NIL', ['a1', 'ID', null]],
    ['a1 STORE 1 +FLAGS (\\Seen $Label)', ['a1', 'STORE', '1', '+FLAGS', ['\\Seen', '$Label']]],
    ['a1 LIST "" *', ['a1', 'LIST', { string: '' }, '*']],
    ['a1 LIST "" %/a[b]', ['a1', 'LIST', { string: '' }, '%/a[b]']],
    ['a1 FETCH 1 BODY[]', ['a1', 'FETCH', '1', { atom: 'BODY', section: [], partial: undefined }]],
    ['a1 FETCH 1 BODY.PEEK[1.2.MIME]<0.100>', ['a1', 'FETCH', '1', { atom: 'BODY.PEEK', section: ['1.2.MIME'], partial: '0.100' }]],
    [
      'a1 FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (subject from)] BODY.PEEK[1])',
      ['a1', 'FETCH', '1', ['UID', { atom: 'BODY.PEEK', section: ['HEADER.FIELDS', ['subject', 'from']], partial: undefined }, { atom: 'BODY.PEEK', section: ['1'], partial: undefined }]],
    ],
  ])('reads %s', (text, expected) => {
    expect(plain(tokenize(line(text)))).toEqual(expected);
  });

  it('reads literals in place, synchronizing or not', () => {
    const tokens = tokenize(line('a1 LOGIN {3}{4+} x', 'bob', 'pw\r\n'));
    expect(plain(tokens)).toEqual(['a1', 'LOGIN', { literal: 'bob' }, { literal: 'pw\r\n' }, 'x']);
  });

  it('reads a literal8 (~{n}, ~{n+}), which may carry NUL, and tells it from a literal', () => {
    const tokens = tokenize(line('a1 APPEND INBOX ~{3} UTF8 (~{2+})', 'a\0b', '\0\0'));
    expect(plain(tokens)).toEqual(['a1', 'APPEND', 'INBOX', { literal8: 'a\0b' }, 'UTF8', [{ literal8: '\0\0' }]]);
  });

  it('refuses a NUL in a plain literal (RFC 3501 §4.3), naming literal8 as the way', () => {
    expect(() => tokenize(line('a1 APPEND INBOX {3}', 'a\0b'))).toThrow(/NUL.*literal8/);
    expect(() => tokenize(line('a1 LOGIN {1+} x', '\0'))).toThrow(ImapSyntaxError);
    expect(() => tokenize(line('a1 LOGIN "a\0b" x'))).toThrow(/quoted string may not carry a NUL/);
  });

  it.each([
    ['a1 LOGIN "unterminated'],
    ['a1 LIST (a b'],
    ['a1 LIST a)'],
    ['a1 FETCH 1 BODY[TEXT'],
    ['a1 FETCH 1 BODY[]<x>'],
    ['a1 X "bad\\escape"'],
    ['a1 X \x01'],
  ])('throws a syntax error on %j', (text) => {
    expect(() => tokenize(line(text))).toThrow(ImapSyntaxError);
  });

  it('refuses lists nested deeper than the limit without overflowing the stack', () => {
    expect(() => tokenize(line(`a ${'('.repeat(100_000)}${')'.repeat(100_000)}`))).toThrow(ImapSyntaxError);
    const ok = `a ${'('.repeat(maxListDepth)}x${')'.repeat(maxListDepth)}`;
    expect(tokenize(line(ok))).toHaveLength(2);
  });

  it('never throws anything but a syntax error, whatever the bytes', () => {
    // fc.assert throws the shrunk counterexample; expect() records the check as this test's assertion.
    expect(() =>
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 3 }), (bytes, lits) => {
          const text = Buffer.from(bytes).toString('latin1').replace(/[\r\n]/g, ' ');
          const frame: Frame = { segments: [Buffer.from(text, 'latin1'), ...lits.map(() => Buffer.alloc(0))], literals: lits.map((l) => Buffer.from(l)) };
          frame.segments = frame.segments.map((s, i) => (i < lits.length ? Buffer.concat([s, Buffer.from(`{${lits[i].length}}`)]) : s));
          try {
            tokenize(frame);
          } catch (err) {
            if (!(err instanceof ImapSyntaxError)) throw err;
          }
        }),
        { numRuns: 2000 },
      ),
    ).not.toThrow();
  });

  it('never throws anything but a syntax error on IMAP-like text', () => {
    const piece = fc.constantFrom('(', ')', '[', ']', '"', '\\', ' ', '{', '}', '<', '>', '.', '*', '%', 'BODY', 'BODY.PEEK', 'NIL', '1', ':', 'x', '+');
    expect(() =>
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
          try {
            tokenize(line(`a ${pieces.join('')}`));
          } catch (err) {
            if (!(err instanceof ImapSyntaxError)) throw err;
          }
        }),
        { numRuns: 3000 },
      ),
    ).not.toThrow();
  });
});
