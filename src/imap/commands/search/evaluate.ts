import { headerValues, type MimeNode } from '../../../mime/mime-tree.js';
import type { MimeCache } from '../../../mime/mime-cache.js';
import type { Placement, StoredMessage } from '../../../store/types.js';
import type { MailboxView, ViewEntry } from '../../mailbox-view.js';
import { isSavedResult, resolveSequenceSet } from '../../wire/sequence-set.js';
import type { SearchKey } from './search-key.js';
import type { HeaderFieldsCache } from './header-fields.js';
import { headerProbe } from './header-prefilter.js';

/** What a search needs per folder: sequence/UID ranges are resolved once, `*` against the current view. */
export interface SearchScope {
  view: MailboxView;
  mime: MimeCache;
  headers: HeaderFieldsCache;
  /** Highest sequence number and UID, for `*`. */
  maxSeq: number;
  maxUid: number;
  /** `$` (RFC 5182): the saved result's UIDs. */
  saved: ReadonlySet<number>;
  /** When the search started (WITHIN compares against one instant for every message). */
  now: number;
  /** Header keys' byte probes (header-prefilter.ts), made once per search. */
  probes: Map<SearchKey, ((raw: Buffer) => boolean) | null>;
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
    case 'address':
      // Most messages of a folder fail a FROM/TO/SUBJECT search: a byte scan tells them apart without keeping anything.
      if (!scope.headers.has(p.message, key.field) && cannotMatch(key, p.message.raw, scope)) return false;
      return headerKeyMatches(key, p.message, scope.headers);
    case 'body':
      return includes(scope.mime.bodyTextOf(p.message), key.value);
    case 'text':
      return includes(headerText(scope.mime.treeOf(p.message)), key.value) || includes(scope.mime.bodyTextOf(p.message), key.value);
    case 'date':
      return compareDay(key.of === 'internal' ? utcDay(p.internalDate) : sentDay(scope.headers.values(p.message, 'date')[0], p.message.summary.date), key.date, key.cmp);
    case 'size':
      return key.cmp === 'larger' ? p.message.size > key.size : p.message.size < key.size;
    case 'seq':
      if (isSavedResult(key.set)) return scope.saved.has(p.uid);
      return inRanges(entry.seq, resolveSequenceSet(key.set, scope.maxSeq));
    case 'uid':
      if (isSavedResult(key.set)) return scope.saved.has(p.uid);
      return inRanges(p.uid, resolveSequenceSet(key.set, scope.maxUid));
    case 'modseq':
      return p.modseq >= key.modseq;
    case 'age': {
      // RFC 5032: OLDER n = at least n seconds old; YOUNGER n = less than n. The two are complements.
      const isOlder = p.internalDate.getTime() <= scope.now - key.seconds * 1000;
      return key.cmp === 'older' ? isOlder : !isOlder;
    }
  }
}

type HeaderKey = SearchKey & { op: 'header' | 'address' };

/**
 * The messages of `entries` a lone header key matches (SEARCH FROM x, SUBJECT x: most searches clients send):
 * `entries.filter(e => matches(key, e, scope))` with the probe and the key's case picked once, not per message.
 * A cold search over 10,000 messages runs mostly before the JIT has optimised anything, where each call counts.
 */
export function filterByHeaderKey(entries: readonly ViewEntry[], key: HeaderKey, scope: SearchScope): ViewEntry[] {
  const probe = probeOf(key, scope);
  const { headers } = scope;
  // Looked up once: the first search on a field (none of its values read yet) makes no lookup per message at all.
  const known = headers.knownFor(key.field);
  const out: ViewEntry[] = [];
  for (let i = 0; i < entries.length; i++) {
    const message = entries[i].placement.message;
    if (probe !== null && (known === null || !known.has(message)) && probe(message.raw)) continue;
    if (headerKeyMatches(key, message, headers)) out.push(entries[i]);
  }
  return out;
}

/** The full path of a header key: the field's values (and an address field's parsed forms), cached. */
function headerKeyMatches(key: HeaderKey, message: StoredMessage, headers: HeaderFieldsCache): boolean {
  const values = headers.values(message, key.field);
  if (headerMatches(values, key.value)) return true;
  if (key.op === 'header') return false;
  const forms = headers.addressForms(message, key.field);
  // The same array when the forms are the values (the common case): already searched.
  return forms !== values && addressMatches(forms, key.value);
}

/** True when the header key certainly matches nothing in `raw` (the full path is left to answer otherwise). */
function cannotMatch(key: HeaderKey, raw: Buffer, scope: SearchScope): boolean {
  const probe = probeOf(key, scope);
  return probe !== null && probe(raw);
}

/** The key's byte probe (header-prefilter.ts), made once per search; null when it can't judge this needle. */
function probeOf(key: HeaderKey, scope: SearchScope): ((raw: Buffer) => boolean) | null {
  let probe = scope.probes.get(key);
  if (probe === undefined) scope.probes.set(key, (probe = headerProbe(key.field, key.value, key.op === 'address')));
  return probe;
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

/** `HEADER name ""` matches every message that has the field (RFC 3501 §6.4.4). `values` are lower-cased. */
function headerMatches(values: readonly string[], value: string): boolean {
  if (values.length === 0) return false;
  const needle = value.toLowerCase();
  return values.some((v) => v.includes(needle));
}

/**
 * The addresses as parsed (lower-cased forms from HeaderFieldsCache): each mailbox reads as `name <local@domain>`
 * (or `local@domain`), a group as its name, so a string matching across such a form (`Ann <ann@x`) matches as it
 * does in Dovecot.
 */
function addressMatches(forms: readonly string[], value: string): boolean {
  const needle = value.toLowerCase();
  return forms.some((f) => f.includes(needle));
}

function headerText(tree: MimeNode): string {
  return tree.headers.map((h) => `${h.name}: ${headerValues(tree, h.name).join(' ')}`).join('\n');
}

/** Days compare as UTC midnights; `day` is one already (getDate). */
function compareDay(d: number | null, day: Date, cmp: 'before' | 'on' | 'since'): boolean {
  if (d === null) return false;
  const t = day.getTime();
  return cmp === 'before' ? d < t : cmp === 'on' ? d === t : d >= t;
}

/** INTERNALDATE is kept and shown in UTC (`+0000`), so its day is the UTC day. */
function utcDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * The day the Date header names, as written: SENTBEFORE/SENTON/SENTSINCE disregard time *and timezone*
 * (RFC 3501 §6.4.4), so `Mon, 01 Jan 2024 23:30:00 -0500` was sent on 1 January, as the client shows it,
 * not on 2 January UTC. Two- and three-digit years are read as RFC 5322 §4.3 says; an unreadable header falls
 * back to the parsed date.
 */
function sentDay(header: string | undefined, parsed: Date | null): number | null {
  const m = /\b(\d{1,2})\s+([A-Za-z]{3})[A-Za-z]*\s+(\d{2,4})\b/.exec(header ?? '');
  const month = m ? months.indexOf(m[2].toLowerCase()) : -1;
  if (m && month >= 0 && Number(m[1]) >= 1 && Number(m[1]) <= 31) {
    const y = Number(m[3]);
    const year = m[3].length === 4 ? y : m[3].length === 3 ? 1900 + y : y < 50 ? 2000 + y : 1900 + y;
    return Date.UTC(year, month, Number(m[1]));
  }
  return parsed ? utcDay(parsed) : null;
}

function inRanges(n: number, ranges: ReadonlyArray<[number, number]>): boolean {
  for (const [lo, hi] of ranges) if (n >= lo && n <= hi) return true;
  return false;
}
