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

/** A line as one row's text: a CR or LF in it (a note quoting an error) would start a row of its own. */
export function asRowText(line: string): string {
  return line.includes('\n') || line.includes('\r') ? line.replace(/[\r\n]/g, ' ') : line;
}

/** A row's time (`<ms>`, possibly negative) as written by transcriptRow(); the tab form's too. */
const rowTime = /^-?\d+/;

/** A row's time: since the row before it, or since the epoch for the first (0 for a row without one). */
export function rowSince(row: string): number {
  return Number(rowTime.exec(row)?.[0] ?? 0);
}

/** `row` with its time replaced by `sinceMs`. */
export function withRowSince(row: string, sinceMs: number): string {
  return `${sinceMs}${row.slice(rowTime.exec(row)?.[0].length ?? 0)}`;
}

export function encodeTranscript(lines: readonly TranscriptLine[]): CompactTranscript {
  // No regular expression per line (SMTP stores a transcript with every message it accepts), and one join: the
  // stored string is flat, where `+=` would keep a tree of string pieces alive with the message.
  const rows = new Array<string>(lines.length);
  let previous = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    rows[i] = transcriptRow(l.at - previous, l.dir, asRowText(l.line));
    previous = l.at;
  }
  return rows.join('\n');
}

/**
 * Common lines, stored as a key: a row `<ms><d><key><rest>` with `d` lower-case (`c` a client line, `s` a server one)
 * stands for the line `prefix + rest + suffix` of entry `key`. An SMTP transaction is mostly these lines, and a stored
 * transcript is kept with every message for as long as the message is: 1 KB messages over SMTP stored theirs in ~240
 * bytes, ~100 with the keys. Keys are one character; entries must never change meaning (stored transcripts use them).
 */
const commonLines: Record<'c' | 's', Record<string, readonly [prefix: string, suffix: string]>> = {
  c: {
    M: ['MAIL FROM:<', ''],
    R: ['RCPT TO:<', ''],
    B: ['<', ' bytes of message data>'],
    D: ['DATA', ''],
    Q: ['QUIT', ''],
    N: ['NOOP', ''],
    S: ['RSET', ''],
    E: ['EHLO ', ''],
  },
  s: {
    f: ['250 2.1.0 Accepted', ''],
    r: ['250 2.1.5 Accepted', ''],
    a: ['250 Accepted', ''],
    d: ['354 End data with <CR><LF>.<CR><LF>', ''],
    q: ['250 2.6.0 Ok: queued as ', ''],
    o: ['250 Ok: queued as ', ''],
    b: ['221 2.0.0 Bye', ''],
    k: ['250 2.0.0 OK', ''],
  },
};

type KeyedEntry = { key: string; prefix: string; suffix: string };

/** The entries of one direction by the first character of their prefix, so a line is tried only against those. */
function byFirstCharacter(entries: Record<string, readonly [prefix: string, suffix: string]>): Map<number, KeyedEntry[]> {
  const map = new Map<number, KeyedEntry[]>();
  for (const [key, [prefix, suffix]] of Object.entries(entries)) {
    const first = prefix.charCodeAt(0);
    map.set(first, [...(map.get(first) ?? []), { key, prefix, suffix }]);
  }
  return map;
}

const keyedEntries = { c: byFirstCharacter(commonLines.c), s: byFirstCharacter(commonLines.s) };

/** The keyed form of a line (see commonLines): `<key><rest>`, or null when no entry fits. */
function keyedLine(dir: 'c' | 's', text: string): string | null {
  const candidates = keyedEntries[dir].get(text.charCodeAt(0));
  if (candidates === undefined) return null;
  for (const { key, prefix, suffix } of candidates) {
    if (text.length >= prefix.length + suffix.length && text.startsWith(prefix) && (suffix === '' || text.endsWith(suffix))) {
      return key + text.slice(prefix.length, text.length - suffix.length);
    }
  }
  return null;
}

/** transcriptRow() for a line of an SMTP transaction stored with its message: a common line is written as its key. */
export function keyedTranscriptRow(sinceMs: number, dir: TranscriptLine['dir'], text: string): string {
  if (dir === 'C' || dir === 'S') {
    const d = dir === 'C' ? 'c' : 's';
    const keyed = keyedLine(d, text);
    if (keyed !== null) return `${sinceMs}${d}${keyed}`;
  }
  return transcriptRow(sinceMs, dir, text);
}

/**
 * A row's prefix: `<ms><dir>`, a time difference (negative if the clock stepped back), with `dir` C, S or *, or c or
 * s for a keyed common line; or `<ms>\t<dir>\t`, the earlier tab-separated form with an absolute time, which still
 * decodes (transcripts built by hand, in tests).
 */
const rowPattern = /^(-?\d+)(?:([CS*cs])|\t([CS*])\t)/;

export function decodeTranscript(text: CompactTranscript | undefined): TranscriptLine[] {
  if (!text) return [];
  let at = 0;
  return text.split('\n').map((row) => {
    const m = rowPattern.exec(row);
    if (m?.[3]) at = Number(m[1]);
    else at += Number(m?.[1] ?? 0);
    const rest = row.slice(m ? m[0].length : 0);
    const d = m?.[2];
    if (d === 'c' || d === 's') {
      const entry = commonLines[d][rest[0]];
      const line = entry ? entry[0] + rest.slice(1) + entry[1] : rest;
      return { at, dir: d === 'c' ? 'C' : 'S', line };
    }
    return { at, dir: (d ?? m?.[3] ?? '*') as TranscriptLine['dir'], line: rest };
  });
}
