import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dotStuff, encodeLines, formatError, Pop3Error, sliceTop } from '../../src/pop3/responses.js';

const wire = (data: string | Buffer) => Buffer.concat([...dotStuff(Buffer.from(data))]).toString('latin1');

/** What a client does with a multi-line body: split on LF, drop one leading dot, stop at the lone dot. */
function clientRead(stuffed: Buffer): Buffer {
  const lines = stuffed.toString('latin1').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    if (line === '.\r') break;
    out.push(line.startsWith('.') ? line.slice(1) : line);
  }
  return Buffer.from(out.join('\n') + '\n', 'latin1');
}

describe('dotStuff', () => {
  it.each([
    ['plain line', 'a\r\n', 'a\r\n.\r\n'],
    ['leading dot on the first line', '.a\r\n', '..a\r\n.\r\n'],
    ['a lone dot line', 'a\r\n.\r\nb\r\n', 'a\r\n..\r\nb\r\n.\r\n'],
    ['two dots', 'a\r\n..\r\n', 'a\r\n...\r\n.\r\n'],
    ['no final CRLF', 'a\r\nb', 'a\r\nb\r\n.\r\n'],
    ['ends in a dot without CRLF', 'a\r\n.', 'a\r\n..\r\n.\r\n'],
    ['a dot after a bare LF', 'a\n.b\r\n', 'a\n..b\r\n.\r\n'],
    ['a dot mid-line is left alone', 'a.b\r\n', 'a.b\r\n.\r\n'],
    ['an empty body', '', '.\r\n'],
  ])('%s', (_name, input, expected) => {
    expect(wire(input)).toBe(expected);
  });

  it('slices the original buffer instead of copying it', () => {
    const data = Buffer.from('x'.repeat(1000) + '\r\n');
    const [first] = dotStuff(data);
    expect(first.buffer).toBe(data.buffer);
  });

  it('round-trips any CRLF message through a client that unstuffs, and always ends in CRLF.CRLF', () => {
    const line = fc.stringMatching(/^[.a-z ]{0,8}$/);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), (lines) => {
        const raw = Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
        const stuffed = Buffer.concat([...dotStuff(raw)]);
        expect(stuffed.subarray(-5).toString()).toBe('\r\n.\r\n');
        expect(clientRead(stuffed).equals(raw)).toBe(true);
      }),
    );
  });
});

describe('sliceTop', () => {
  const msg = Buffer.from('A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n');
  it.each([
    [0, 'A: 1\r\nB: 2\r\n\r\n'],
    [1, 'A: 1\r\nB: 2\r\n\r\nl1\r\n'],
    [3, msg.toString()],
    [999_999_999, msg.toString()],
  ])('TOP n %i', (n, expected) => {
    expect(sliceTop(msg, n).toString()).toBe(expected);
  });

  it('treats a message without a blank line as all header', () => {
    expect(sliceTop(Buffer.from('A: 1\r\nB: 2\r\n'), 0).toString()).toBe('A: 1\r\nB: 2\r\n');
  });

  it('handles an empty header and bare LF messages', () => {
    expect(sliceTop(Buffer.from('\r\nbody\r\nmore\r\n'), 1).toString()).toBe('\r\nbody\r\n');
    expect(sliceTop(Buffer.from('A: 1\n\nx\ny\n'), 1).toString()).toBe('A: 1\n\nx\n');
  });

  it('gives a last body line without CRLF as it is', () => {
    expect(sliceTop(Buffer.from('A: 1\r\n\r\nonly'), 5).toString()).toBe('A: 1\r\n\r\nonly');
  });
});

describe('encodeLines and formatError', () => {
  it('stuffs listing lines and terminates them', () => {
    expect(encodeLines(['TOP', '.odd']).toString()).toBe('TOP\r\n..odd\r\n.\r\n');
  });

  it('renders response codes in brackets', () => {
    expect(formatError(new Pop3Error('locked', 'IN-USE'))).toBe('-ERR [IN-USE] locked');
    expect(formatError(new Pop3Error('nope'))).toBe('-ERR nope');
  });
});
