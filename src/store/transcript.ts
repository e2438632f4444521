import type { TranscriptLine } from './types.js';

/**
 * Transcripts kept with each message are stored as one string (tab-separated `at dir line` rows) rather than an
 * array of objects: a 1 KB message's transcript would otherwise cost more memory than the message itself.
 */
export type CompactTranscript = string;

export function encodeTranscript(lines: readonly TranscriptLine[]): CompactTranscript {
  return lines.map((l) => `${l.at}\t${l.dir}\t${l.line.replace(/[\r\n]/g, ' ')}`).join('\n');
}

export function decodeTranscript(text: CompactTranscript | undefined): TranscriptLine[] {
  if (!text) return [];
  return text.split('\n').map((row) => {
    const a = row.indexOf('\t');
    const b = row.indexOf('\t', a + 1);
    return { at: Number(row.slice(0, a)), dir: row.slice(a + 1, b) as TranscriptLine['dir'], line: row.slice(b + 1) };
  });
}
