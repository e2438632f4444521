import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../src/pop3/line-framer.js';
import type { Frame } from '../../src/pop3/line-framer.js';

const show = (frames: Frame[]) => frames.map((f) => (f.kind === 'line' ? `line:${f.line.toString('latin1')}` : `overlong:${f.octets}`));

function feedWhole(max: number, input: Buffer): string[] {
  return show(new LineFramer(max).push(input));
}

function feedBytes(max: number, input: Buffer): string[] {
  const framer = new LineFramer(max);
  const frames: Frame[] = [];
  for (let i = 0; i < input.length; i++) frames.push(...framer.push(input.subarray(i, i + 1)));
  return show(frames);
}

describe('LineFramer', () => {
  it.each([
    ['CRLF lines', 'USER a\r\nPASS b\r\n', ['line:USER a', 'line:PASS b']],
    ['bare LF', 'STAT\n', ['line:STAT']],
    ['an empty line', '\r\n', ['line:']],
    ['a bare CR inside a line is kept', 'A\rB\r\n', ['line:A\rB']],
    ['an unfinished line waits', 'NOOP', []],
    ['exactly the limit, CRLF included', 'x'.repeat(14) + '\r\n', ['line:' + 'x'.repeat(14)]],
    ['one over the limit', 'x'.repeat(15) + '\r\nNOOP\r\n', ['overlong:17', 'line:NOOP']],
    ['a long line followed by a good one', 'y'.repeat(40) + '\nQUIT\n', ['overlong:41', 'line:QUIT']],
  ])('frames %s the same whole and byte by byte', (_name, input, expected) => {
    const buf = Buffer.from(input, 'latin1');
    expect(feedWhole(16, buf)).toEqual(expected);
    expect(feedBytes(16, buf)).toEqual(expected);
  });

  it('never holds more than the limit while discarding an endless line', () => {
    const framer = new LineFramer(512);
    for (let i = 0; i < 1000; i++) {
      expect(framer.push(Buffer.alloc(4096, 0x41))).toEqual([]);
      expect(framer.buffered).toBeLessThanOrEqual(512);
    }
    expect(show(framer.push(Buffer.from('\r\nNOOP\r\n')))).toEqual([`overlong:${4096 * 1000 + 2}`, 'line:NOOP']);
  });

  it('drops what it holds on reset (STLS)', () => {
    const framer = new LineFramer(512);
    framer.push(Buffer.from('USER evil'));
    framer.reset();
    expect(show(framer.push(Buffer.from('CAPA\r\n')))).toEqual(['line:CAPA']);
  });

  it('gives the same frames for any split of any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(200), { maxLength: 8 }), (bytes, cuts) => {
        const input = Buffer.from(bytes);
        const framer = new LineFramer(32);
        const frames: Frame[] = [];
        let start = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          frames.push(...framer.push(input.subarray(start, Math.max(start, cut))));
          start = Math.max(start, cut);
        }
        frames.push(...framer.push(input.subarray(start)));
        expect(show(frames)).toEqual(feedWhole(32, input));
      }),
    );
  });
});
