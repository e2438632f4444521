import type { TranscriptLine } from './types.js';

/**
 * Transcripts kept with each message are stored as one string rather than an array of objects: a 1 KB message's
 * transcript would otherwise cost more memory than the message itself. One row per line, `\n`-separated:
 * `<ms><dir><line>`, where `<ms>` is the time since the previous row (the first row's is since the epoch) and `<dir>`
 * is `C`, `S` or `*`. Lines of one transaction are usually in the same millisecond, so a row's time is one digit
 * instead of thirteen, which is about a third of a typical stored transcript.
 */
export type CompactTranscript = string;

/** One row of the encoding: `sinceMs` after the previous row (since the epoch for the first), the direction, the text. */
export function transcriptRow(sinceMs: number, dir: TranscriptLine['dir'], text: string): string {
  return `${sinceMs}${dir}${text}`;
}

export function encodeTranscript(lines: readonly TranscriptLine[]): CompactTranscript {
  // No regular expression per line (SMTP stores a transcript with every message it accepts), and one join: the
  // stored string is flat, where `+=` would keep a tree of string pieces alive with the message.
  const rows = new Array<string>(lines.length);
  let previous = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const line = l.line.includes('\n') || l.line.includes('\r') ? l.line.replace(/[\r\n]/g, ' ') : l.line;
    rows[i] = transcriptRow(l.at - previous, l.dir, line);
    previous = l.at;
  }
  return rows.join('\n');
}

/**
 * A row's prefix: `<ms><dir>`, a time difference (negative if the clock stepped back); or `<ms>\t<dir>\t`, the
 * earlier tab-separated form with an absolute time, which still decodes (transcripts built by hand, in tests).
 */
const rowPattern = /^(-?\d+)(?:([CS*])|\t([CS*])\t)/;

export function decodeTranscript(text: CompactTranscript | undefined): TranscriptLine[] {
  if (!text) return [];
  let at = 0;
  return text.split('\n').map((row) => {
    const m = rowPattern.exec(row);
    if (m?.[3]) at = Number(m[1]);
    else at += Number(m?.[1] ?? 0);
    return { at, dir: (m?.[2] ?? m?.[3] ?? '*') as TranscriptLine['dir'], line: row.slice(m ? m[0].length : 0) };
  });
}
