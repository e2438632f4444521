import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ImapFramer, type FramerEvent } from '../../src/imap/wire/framer.js';

interface Seen {
  kind: string;
  segments?: string[];
  literals?: string[];
  size?: number;
  isNonSync?: boolean;
  isBinary?: boolean;
  head?: string;
}

/** Feeds chunks, accepting literals up to `maxLiteral` (rejecting bigger ones), and records every event. */
function run(chunks: Buffer[], maxLine = 1000, maxLiteral = 1000): Seen[] {
  const framer = new ImapFramer(maxLine);
  const out: Seen[] = [];
  const drain = (): void => {
    for (let ev: FramerEvent | null = framer.next(); ev; ev = framer.next()) {
      if (ev.kind === 'frame') out.push({ kind: 'frame', segments: ev.frame.segments.map(String), literals: ev.frame.literals.map(String) });
      else if (ev.kind === 'literal') {
        out.push({ kind: 'literal', size: ev.size, isNonSync: ev.isNonSync, isBinary: ev.isBinary, head: String(ev.head) });
        if (ev.size <= maxLiteral) framer.acceptLiteral(ev.size);
        else framer.rejectLiteral();
      } else out.push({ kind: 'too-long', head: String(ev.head) });
    }
  };
  for (const c of chunks) {
    framer.push(c);
    drain();
  }
  return out;
}

const whole = (s: string | Buffer): Buffer[] => [Buffer.from(s)];
const bytewise = (s: string | Buffer): Buffer[] => [...Buffer.from(s)].map((b) => Buffer.from([b]));

const streams: Array<[string, string]> = [
  ['simple commands', 'a1 NOOP\r\na2 CAPABILITY\r\n'],
  ['bare LF line ends', 'a1 NOOP\na2 NOOP\n'],
  ['a synchronizing literal', 'a1 LOGIN {3}\r\nbob {6}\r\nsecret\r\na2 NOOP\r\n'],
  ['a LITERAL+ literal holding CRLF and braces', 'a1 APPEND INBOX {12+}\r\nx\r\n{5}\r\nyz\r\n\r\n'],
  ['an empty literal', 'a1 LOGIN {0}\r\n {0+}\r\n\r\n'],
  ['a refused literal followed by a command', 'a1 APPEND INBOX {5000}\r\na2 NOOP\r\n'],
  ['an over-long line followed by a command', `a1 NOOP ${'x'.repeat(2000)}\r\na2 NOOP\r\n`],
  ['8-bit bytes', 'a1 LOGIN "jörg" "pässword"\r\n'],
  ['literal8s, synchronizing or not, holding NUL and CRLF', 'a1 APPEND INBOX ~{3}\r\n\0\r\n ~{2+}\r\n\0\0\r\na2 NOOP\r\n'],
];

describe('IMAP framer', () => {
  it.each(streams)('gives identical frames fed whole and byte by byte: %s', (_name, stream) => {
    expect(run(bytewise(stream))).toEqual(run(whole(stream)));
  });

  it('splits a command into segments around its literals', () => {
    expect(run(whole('a1 LOGIN {3}\r\nbob {6+}\r\nsecret\r\n'))).toEqual([
      { kind: 'literal', size: 3, isNonSync: false, isBinary: false, head: 'a1 LOGIN {3}' },
      { kind: 'literal', size: 6, isNonSync: true, isBinary: false, head: 'a1 LOGIN {3}' },
      { kind: 'frame', segments: ['a1 LOGIN {3}', ' {6+}', ''], literals: ['bob', 'secret'] },
    ]);
  });

  it('announces a literal8 (~{n}, ~{n+}) with the same size and sync rules as a literal, and keeps its marker', () => {
    const nul = '\0';
    expect(run(whole(`a1 APPEND INBOX ~{2}\r\n${nul}x UTF8 (~{1+}\r\n${nul})\r\n`))).toEqual([
      { kind: 'literal', size: 2, isNonSync: false, isBinary: true, head: 'a1 APPEND INBOX ~{2}' },
      { kind: 'literal', size: 1, isNonSync: true, isBinary: true, head: 'a1 APPEND INBOX ~{2}' },
      { kind: 'frame', segments: ['a1 APPEND INBOX ~{2}', ' UTF8 (~{1+}', ')'], literals: [`${nul}x`, nul] },
    ]);
    expect(run(whole('a1 LOGIN {3}\r\nbob x\r\n'))[0]).toMatchObject({ kind: 'literal', isBinary: false });
  });

  it('drops a command whose literal8 was refused, like a literal, and reads the next one', () => {
    const events = run(whole('a1 APPEND INBOX ~{5000}\r\na2 NOOP\r\n'));
    expect(events.map((e) => e.kind)).toEqual(['literal', 'frame']);
    expect(events[1].segments).toEqual(['a2 NOOP']);
  });

  it('drops a command whose literal was refused and reads the next one', () => {
    const events = run(whole('a1 APPEND INBOX {5000}\r\na2 NOOP\r\n'));
    expect(events.map((e) => e.kind)).toEqual(['literal', 'frame']);
    expect(events[1].segments).toEqual(['a2 NOOP']);
  });

  it('reports an over-long line once, with its head, and resynchronises at its end', () => {
    const events = run(whole(`a1 NOOP ${'x'.repeat(5000)}\r\na2 NOOP\r\n`), 100);
    expect(events.map((e) => e.kind)).toEqual(['too-long', 'frame']);
    expect(events[0].head?.startsWith('a1 NOOP')).toBe(true);
  });

  it('counts command text across literals towards the line limit', () => {
    const events = run(whole(`a1 X ${'y'.repeat(60)} {1}\r\nz ${'w'.repeat(60)}\r\na2 NOOP\r\n`), 100);
    expect(events.map((e) => e.kind)).toEqual(['literal', 'too-long', 'frame']);
  });

  it('never pre-allocates an announced literal size and waits for its bytes', () => {
    const framer = new ImapFramer(1000);
    framer.push(Buffer.from('a1 APPEND INBOX {4294967295}\r\n'));
    const ev = framer.next();
    expect(ev).toMatchObject({ kind: 'literal', size: 4294967295 });
    framer.acceptLiteral(4294967295);
    framer.push(Buffer.from('abc'));
    expect(framer.next()).toBeNull();
    expect(framer.bufferedBytes).toBe(0);
  });

  it('hands out raw lines for continuations without literal parsing', () => {
    const framer = new ImapFramer(1000);
    framer.push(Buffer.from('DON'));
    expect(framer.nextLine()).toBeNull();
    framer.push(Buffer.from('E {5}\r\na1 NOOP\r\n'));
    expect(String(framer.nextLine())).toBe('DONE {5}');
    expect(framer.next()).toMatchObject({ kind: 'frame' });
  });

  it('forgets pending input on reset (STARTTLS)', () => {
    const framer = new ImapFramer(1000);
    framer.push(Buffer.from('a2 LOGIN x y\r\n'));
    framer.reset();
    expect(framer.next()).toBeNull();
  });

  it('gives the same events for any chunking of any input', () => {
    const text = fc.stringMatching(/^[a-z0-9 (){}~+\r\n"\0]{0,120}$/);
    fc.assert(
      fc.property(text, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 30 }), (s, sizes) => {
        const buf = Buffer.from(s);
        const chunks: Buffer[] = [];
        for (let i = 0, k = 0; i < buf.length; k++) {
          const n = sizes[k % sizes.length];
          chunks.push(buf.subarray(i, i + n));
          i += n;
        }
        expect(run(chunks, 50, 20)).toEqual(run(whole(buf), 50, 20));
      }),
      { numRuns: 1000 },
    );
  });
});
