import libmime from 'libmime';
import { findBodyStart, parseHeaderFields } from '../mime/header-summary.js';

/** The tags of a message that has none: one shared, frozen list (a message holds no empty array of its own). */
const noTags: readonly string[] = Object.freeze([]);

/** An `X-Tags` field name at the start of a header line. */
const xTagsName = /(?:^|\n)x-tags[ \t]*:/i;

/** A tag longer than this is cut: tags are labels for lists and chips, not text. */
export const maxTagLength = 100;
/** Tags per message; more are dropped (an `X-Tags` header can be arbitrarily long). */
export const maxTags = 50;

/**
 * Trims each tag and keeps the first spelling of tags that are equal case-insensitively, in order. Empty tags and
 * tags with control characters are dropped; over-long ones are cut. Pure.
 * @example normalizeTags([' Signup ', 'signup', 'QA']) // ['Signup', 'QA']
 */
export function normalizeTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const t of tags) {
    const tag = String(t).trim().slice(0, maxTagLength).trim();
    // eslint-disable-next-line no-control-regex
    if (!tag || /[\u0000-\u001f\u007f]/.test(tag)) continue;
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(tag);
    if (out.length >= maxTags) break;
  }
  return out;
}

/** Case-insensitive tag comparison (SPEC §15: tags keep their case but compare without it). */
export function hasTag(tags: readonly string[], wanted: string): boolean {
  const w = wanted.trim().toLowerCase();
  return tags.some((t) => t.toLowerCase() === w);
}

/**
 * The tags a message gets on arrival: every comma-separated value of its `X-Tags` header(s), then the detail part of
 * each plus-addressed envelope recipient (`ann+signup@example.test` → `signup`).
 */
export function arrivalTags(raw: Buffer, rcptTo: readonly string[]): readonly string[] {
  const end = Math.min(findBodyStart(raw), 256 * 1024);
  // Most mail has neither: a scan for the header name (any case) and for a `+` spares the header parse.
  const tagged = xTagsName.test(raw.toString('latin1', 0, end));
  const plus = rcptTo.some((a) => a.includes('+'));
  if (!tagged && !plus) return noTags;
  const fromHeader = tagged
    ? parseHeaderFields(raw.subarray(0, end).toString('utf8'))
        .filter(([name]) => name === 'x-tags')
        .flatMap(([, value]) => decodeWords(value).split(','))
    : [];
  const fromAddress = rcptTo.map(plusDetail).filter((d): d is string => d !== null);
  const tags = normalizeTags([...fromHeader, ...fromAddress]);
  return tags.length ? tags : noTags;
}

/** RFC 2047 encoded words (`=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=`), as a mail library writes a non-ASCII header value. */
function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** `ann+signup@x` → `signup`; null without a `+` detail. */
export function plusDetail(address: string): string | null {
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  const plus = local.indexOf('+');
  return plus < 0 || plus === local.length - 1 ? null : local.slice(plus + 1);
}
