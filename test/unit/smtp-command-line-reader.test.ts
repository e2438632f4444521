import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { describe, expect, it } from 'vitest';
import { CommandLineReader, type CommandLineParser } from '../../src/smtp/command-line-reader.js';

/** What the parser handed on: each command line (latin1) and each message's bytes, in order; `error` if it failed. */
interface Outcome {
  events: string[];
  error?: string;
}

/** Feeds `chunks` to an SMTPStream that reads command lines with CommandLineReader; DATA switches to data mode. */
async function parse(chunks: readonly Buffer[], maxCommandLength?: number): Promise<Outcome> {
  const parser = new SMTPStream(maxCommandLength ? { maxCommandLength } : undefined);
  CommandLineReader.install(parser as unknown as CommandLineParser);
  const outcome: Outcome = { events: [] };
  parser.on('error', (err: Error) => (outcome.error = err.message));
  // As SandboxSmtpConnection does: the stock continue() loses the continuation of a second pipelined DATA.
  const internals = parser as unknown as { _continueCallback: (() => void) | boolean };
  parser.continue = () => {
    const next = internals._continueCallback;
    internals._continueCallback = typeof next !== 'function';
    if (typeof next === 'function') next();
  };
  parser.oncommand = (command: Buffer, next?: () => void) => {
    const line = command.toString('latin1');
    outcome.events.push(`C:${line}`);
    if (line === 'DATA') {
      const stream = parser.startDataMode(Infinity);
      const parts: Buffer[] = [];
      stream.on('data', (part: Buffer) => parts.push(part));
      stream.on('end', () => {
        outcome.events.push(`M:${Buffer.concat(parts).toString('latin1')}`);
        parser.continue();
      });
    }
    next?.();
  };
  for (const chunk of chunks) {
    if (outcome.error) break;
    await new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
  }
  await new Promise<void>((resolve) => parser.end(() => resolve()));
  return outcome;
}

const whole = (text: string) => [Buffer.from(text, 'latin1')];
const byteByByte = (text: string) => [...Buffer.from(text, 'latin1')].map((b) => Buffer.from([b]));

describe('CommandLineReader: SMTP command lines end only at CRLF', () => {
  it('replaces library methods that are still the smtp-server 3.21.6 code it was written against', () => {
    // If smtp-server changes these, src/smtp/command-line-reader.ts must be checked against the new code.
    const proto = SMTPStream.prototype as unknown as CommandLineParser;
    const hash = (fn: unknown) => createHash('sha256').update(String(fn)).digest('hex');
    expect(hash(proto._write)).toBe('a72635ce53e24b3ae76f14afc12be0e1e9e0e1a8ba5859b1cd5534ec268affb8');
    expect(hash(proto._flushData)).toBe('84553453dd028d62875fae3543ae9be0e14b1189096cb2d62d52c2ad3f3af8a9');
  });

  it.each([
    ['CRLF lines', 'EHLO a\r\nNOOP\r\n', ['C:EHLO a', 'C:NOOP']],
    ['a bare CR inside a line, kept in it', 'MAIL FROM:<a@b.test>\rX: 1\r\nNOOP\r\n', ['C:MAIL FROM:<a@b.test>\rX: 1', 'C:NOOP']],
    ['a NUL inside a line, kept in it', 'NO\0OP\r\nNOOP\r\n', ['C:NO\0OP', 'C:NOOP']],
    ['a bare LF: the line up to it, then its tail dropped up to CRLF', 'RCPT TO:<x@y.test>\nBcc: v@evil.test\r\nNOOP\r\n', ['C:RCPT TO:<x@y.test>\n', 'C:NOOP']],
    ['LF-only lines: one line handed on, the rest dropped until a CRLF', 'EHLO a\nNOOP\nRSET\n', ['C:EHLO a\n']],
    ['CR CR LF: a bare CR, then the CRLF', 'NOOP\r\r\nRSET\r\n', ['C:NOOP\r', 'C:RSET']],
    ['DATA then message bytes with bare LFs, and a command after', 'DATA\r\nSubject: x\n\na\nb\r\n.\r\nNOOP\r\n', ['C:DATA', 'M:Subject: x\n\na\nb\r\n', 'C:NOOP']],
    ['a last line without CRLF when the client half-closes', 'NOOP\r\nQUIT', ['C:NOOP', 'C:QUIT']],
    ['the tail of a refused line at the end of the input', 'NOOP\nQUIT', ['C:NOOP\n']],
  ])('reads %s the same whole and byte by byte', async (_name, text, expected) => {
    expect((await parse(whole(text))).events).toEqual(expected);
    expect((await parse(byteByByte(text))).events).toEqual(expected);
  });

  it('fails with the library error for a line past the hard cap, complete or not, and keeps no dropped tail', async () => {
    expect((await parse(whole(`NOOP ${'a'.repeat(100)}\r\n`), 50)).error).toMatch(/too long/i);
    expect((await parse(byteByByte(`NOOP ${'a'.repeat(100)}`), 50)).error).toMatch(/too long/i);
    // A refused line's tail is dropped, not buffered, so it can be any length.
    const tail = await parse([Buffer.from('NOOP\n'), Buffer.from('a'.repeat(200)), Buffer.from('\r\nRSET\r\n')], 50);
    expect(tail).toEqual({ events: ['C:NOOP\n', 'C:RSET'] });
  });

  it('hands on the same lines however the bytes are chunked', async () => {
    const piece = fc.constantFrom('NOOP', 'RSET', ' x', '\r\n', '\n', '\r', '\0', 'DATA\r\nbody\r\n.\r\n');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), async (pieces, offsets) => {
        const text = pieces.join('') + '\r\nNOOP\r\n';
        const at = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const to of [...at, text.length]) {
          if (to > from) chunks.push(Buffer.from(text.slice(from, to), 'latin1'));
          from = to;
        }
        expect(await parse(chunks)).toEqual(await parse(whole(text)));
      }),
      { numRuns: 300 },
    );
  });

  it('dispatches a chunk of 10,000 pipelined commands without growing the stack', async () => {
    const outcome = await parse(whole('NOOP\r\n'.repeat(10_000)));
    expect(outcome.events).toHaveLength(10_000);
  });
});
