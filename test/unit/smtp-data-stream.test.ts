import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { describe, expect, it } from 'vitest';
import { feedDataStream, type DataStreamParser } from '../../src/smtp/data-stream.js';

/** What a parser did with the bytes of a session: the command lines, each message's bytes and its byte count. */
interface Outcome {
  commands: string[];
  messages: Array<{ data: string; byteLength: number; sizeExceeded: boolean }>;
}

/** Feeds `chunks` to a fresh SMTPStream, with the sandbox's data-mode scan or the library's, and records the outcome. */
async function parse(chunks: readonly Buffer[], withOverride: boolean, maxBytes = Infinity): Promise<Outcome> {
  const parser = new SMTPStream();
  if (withOverride) (parser as unknown as DataStreamParser)._feedDataStream = feedDataStream;
  const outcome: Outcome = { commands: [], messages: [] };
  parser.oncommand = (command: Buffer, next?: () => void) => {
    const line = command.toString('latin1');
    outcome.commands.push(line);
    if (line === 'DATA') {
      const stream = parser.startDataMode(maxBytes);
      const parts: Buffer[] = [];
      stream.on('data', (part: Buffer) => parts.push(part));
      stream.on('end', () => {
        const s = stream as unknown as { byteLength: number; sizeExceeded: boolean };
        outcome.messages.push({ data: Buffer.concat(parts).toString('latin1'), byteLength: s.byteLength, sizeExceeded: s.sizeExceeded });
        parser.continue();
      });
    }
    next?.();
  };
  for (const chunk of chunks) await new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
  return outcome;
}

/** `text` cut at the given (sorted, deduplicated) offsets. */
function cut(text: string, offsets: number[]): Buffer[] {
  const at = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const to of [...at, text.length]) {
    if (to > from) chunks.push(Buffer.from(text.slice(from, to), 'latin1'));
    from = to;
  }
  return chunks;
}

describe('the DATA scan that finds dot lines with Buffer.indexOf', () => {
  it('replaces a library method that is still the smtp-server 3.21.6 code it was copied from', () => {
    // If smtp-server changes _feedDataStream, src/smtp/data-stream.ts must be compared with the new code and updated.
    const source = (SMTPStream.prototype as unknown as DataStreamParser)._feedDataStream.toString();
    expect(createHash('sha256').update(source).digest('hex')).toBe('9d8b903f9a3a63542d72e19a9e2f67009a3b1107a28d57e8e7369355454ff230');
  });

  it('un-stuffs dot lines and ends at the terminator exactly as the library does, however the bytes are chunked', async () => {
    const piece = fc.constantFrom('.', '..', '\r\n', '\n', '\r', 'a', '.\r\n', '\r\n.\r\n', 'x'.repeat(50));
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), async (pieces, offsets, small) => {
        const wire = `DATA\r\n${pieces.join('')}\r\n.\r\nNOOP\r\n`;
        const chunks = cut(wire, offsets);
        const maxBytes = small ? 20 : Infinity;
        expect(await parse(chunks, true, maxBytes)).toEqual(await parse(chunks, false, maxBytes));
      }),
      { numRuns: 400 },
    );
  });

  it('keeps a 100 KB message with dot lines at every position byte-identical', async () => {
    const lines = Array.from({ length: 1400 }, (_, i) => (i % 7 === 0 ? '.' : '') + `line ${i} `.repeat(8));
    const body = lines.join('\r\n') + '\r\n';
    const wire = `DATA\r\n${body.replace(/^\./gm, '..')}.\r\nNOOP\r\n`;
    const outcome = await parse(cut(wire, [1, 7, 8191, 16384, 65535, 65536, 65537, 99999]), true);
    expect(outcome.messages).toEqual([{ data: body, byteLength: Buffer.byteLength(body), sizeExceeded: false }]);
    expect(outcome.commands).toEqual(['DATA', 'NOOP']);
  });
});
