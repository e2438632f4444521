import { headerValues, type MimeNode } from '../../../mime/mime-tree.js';
import type { MimeCache } from '../../../mime/mime-cache.js';
import type { Placement } from '../../../store/types.js';
import type { MailboxView, ViewEntry } from '../../mailbox-view.js';
import { resolveSequenceSet } from '../../wire/sequence-set.js';
import type { SearchKey } from './search-key.js';

/** What a search needs per folder: sequence/UID ranges are resolved once, `*` against the current view. */
export interface SearchScope {
  view: MailboxView;
  mime: MimeCache;
  /** Highest sequence number and UID, for `*`. */
  maxSeq: number;
  maxUid: number;
}

/** RFC 3501 §6.4.4: string keys match case-insensitive substrings of the decoded value. */
export function matches(key: SearchKey, entry: ViewEntry, scope: SearchScope): boolean {
  const p = entry.placement;
  switch (key.op) {
    case 'all':
      return true;
    case 'and':
      return key.keys.every((k) => matches(k, entry, scope));
    case 'or':
      return matches(key.left, entry, scope) || matches(key.right, entry, scope);
    case 'not':
      return !matches(key.key, entry, scope);
    case 'flag':
      return hasFlag(p, key.flag) === key.isSet;
    case 'recent':
      return scope.view.recent.has(p) === key.isSet;
    case 'new':
      return scope.view.recent.has(p) && !p.flags.has('\\Seen');
    case 'header':
      return headerMatches(scope.mime.treeOf(p.message), key.field, key.value);
    case 'body':
      return includes(scope.mime.bodyTextOf(p.message), key.value);
    case 'text':
      return includes(headerText(scope.mime.treeOf(p.message)), key.value) || includes(scope.mime.bodyTextOf(p.message), key.value);
    case 'date':
      return compareDay(key.of === 'internal' ? p.internalDate : p.message.summary.date, key.date, key.cmp);
    case 'size':
      return key.cmp === 'larger' ? p.message.size > key.size : p.message.size < key.size;
    case 'seq':
      return inRanges(entry.seq, resolveSequenceSet(key.set, scope.maxSeq));
    case 'uid':
      return inRanges(p.uid, resolveSequenceSet(key.set, scope.maxUid));
  }
}

/** Keywords compare case-insensitively, like Dovecot; clients vary in the case they send. */
function hasFlag(p: Placement, flag: string): boolean {
  if (p.flags.has(flag)) return true;
  const lower = flag.toLowerCase();
  for (const f of p.flags) if (f.toLowerCase() === lower) return true;
  return false;
}

function includes(haystack: string, needle: string): boolean {
  return needle === '' || haystack.toLowerCase().includes(needle.toLowerCase());
}

/** `HEADER name ""` matches every message that has the field (RFC 3501 §6.4.4). */
function headerMatches(tree: MimeNode, field: string, value: string): boolean {
  const values = headerValues(tree, field);
  return values.length > 0 && values.some((v) => includes(v, value));
}

function headerText(tree: MimeNode): string {
  return tree.headers.map((h) => `${h.name}: ${headerValues(tree, h.name).join(' ')}`).join('\n');
}

/** Dates compare by day, disregarding time and time zone (RFC 3501 §6.4.4). */
function compareDay(date: Date | null, day: Date, cmp: 'before' | 'on' | 'since'): boolean {
  if (!date) return false;
  const d = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const t = day.getTime();
  return cmp === 'before' ? d < t : cmp === 'on' ? d === t : d >= t;
}

function inRanges(n: number, ranges: ReadonlyArray<[number, number]>): boolean {
  for (const [lo, hi] of ranges) if (n >= lo && n <= hi) return true;
  return false;
}
