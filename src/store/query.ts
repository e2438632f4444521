import { bodyTextOf } from '../mime/searchable-text.js';
import type { MessageStore } from './message-store.js';
import { hasTag } from './tags.js';
import type { Address, StoredMessage } from './types.js';

/** A string matches case-insensitively as a substring; a RegExp is tested as given. */
export type TextMatch = string | RegExp;

/**
 * What `waitForMessage()` and `messages()` match on. Every given field must match.
 * `to` matches any To/Cc header address or envelope recipient (so Bcc recipients match too).
 */
export interface MessageFilter {
  /** The SPEC §8 query language, e.g. `from:alice subject:"reset" is:unread`. */
  query?: string;
  from?: TextMatch;
  to?: TextMatch;
  subject?: TextMatch;
  /** Matches the plain-text or HTML body. */
  text?: TextMatch;
  /** Only messages in this mailbox (exact address, case-insensitive). */
  mailbox?: string;
  /** Only messages carrying this tag (exact tag, case-insensitive). */
  tag?: string;
}

export type TermKey = 'word' | 'from' | 'to' | 'cc' | 'subject' | 'mailbox' | 'tag' | 'read' | 'unread' | 'attachment' | 'before' | 'after';

/** One parsed query term. `value` is lower-cased; `time` is set for before/after (ms since epoch). */
export interface QueryTerm {
  key: TermKey;
  value: string;
  negated: boolean;
  time?: number;
}

/** Queries longer than this are cut: a search box never needs more, and matching cost grows with terms. */
export const maxQueryLength = 4096;
export const maxQueryTerms = 64;

const fieldKeys: Record<string, TermKey> = { from: 'from', to: 'to', cc: 'cc', subject: 'subject', mailbox: 'mailbox', tag: 'tag' };
const flagKeys: Record<string, TermKey> = { 'is:read': 'read', 'is:seen': 'read', 'is:unread': 'unread', 'is:unseen': 'unread', 'has:attachment': 'attachment', 'has:attachments': 'attachment' };

/**
 * Parses the query language of SPEC §8. Pure and total: it never throws, and anything it does not understand
 * (unknown `key:`, a bad date, an unbalanced quote) degrades to plain words.
 * @example parseQuery('from:alice -is:read "reset link"')
 */
export function parseQuery(input: string): QueryTerm[] {
  const text = String(input).slice(0, maxQueryLength);
  const terms: QueryTerm[] = [];
  let i = 0;
  while (i < text.length && terms.length < maxQueryTerms) {
    while (i < text.length && isSpace(text[i])) i++;
    if (i >= text.length) break;
    let negated = false;
    if (text[i] === '-' && i + 1 < text.length && !isSpace(text[i + 1])) {
      negated = true;
      i++;
    }
    const keyMatch = /^([a-zA-Z]+):(?=\S)/.exec(text.slice(i, i + 12));
    const key = keyMatch?.[1].toLowerCase();
    if (keyMatch && key && (key in fieldKeys || key === 'before' || key === 'after' || key === 'is' || key === 'has')) {
      const [value, next] = readValue(text, i + keyMatch[0].length);
      terms.push(keyedTerm(key, value, negated, text.slice(i, next)));
      i = next;
      continue;
    }
    const [value, next] = readValue(text, i);
    i = next;
    if (value !== '') terms.push({ key: 'word', value: value.toLowerCase(), negated });
  }
  return terms;
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

/** A quoted phrase (to the closing quote, or the end when unbalanced) or a run of non-space characters. */
function readValue(text: string, start: number): [value: string, next: number] {
  if (text[start] === '"') {
    const close = text.indexOf('"', start + 1);
    const end = close < 0 ? text.length : close;
    return [text.slice(start + 1, end), close < 0 ? end : close + 1];
  }
  let end = start;
  while (end < text.length && !isSpace(text[end])) end++;
  return [text.slice(start, end), end];
}

function keyedTerm(key: string, value: string, negated: boolean, original: string): QueryTerm {
  const asWord: QueryTerm = { key: 'word', value: original.replace(/^-/, '').replace(/"/g, '').toLowerCase(), negated };
  if (key in fieldKeys) return value === '' ? asWord : { key: fieldKeys[key], value: value.toLowerCase(), negated };
  if (key === 'is' || key === 'has') {
    const flag = flagKeys[`${key}:${value.toLowerCase()}`];
    return flag ? { key: flag, value: '', negated } : asWord;
  }
  const time = parseQueryDate(value);
  return time === null ? asWord : { key: key as 'before' | 'after', value, negated, time };
}

/** `YYYY-MM-DD` (midnight UTC) or any ISO 8601 timestamp; null when neither. */
export function parseQueryDate(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) return null;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(t) ? null : t;
}

type Matcher = (m: StoredMessage, store: MessageStore) => boolean;

export interface CompileOptions {
  /**
   * The decoded body text of a message, lower-cased, for words and string `text` (default: decoded afresh each
   * call); pass a cached one for repeated searches. A RegExp `text` always sees the original case.
   */
  lowerBodyText?: (m: StoredMessage) => string;
}

/**
 * Compiles a filter (query string and structured fields) into a predicate. All terms must match.
 * Body text is only computed when a header term has not already decided the result.
 */
/** True when `compileFilter(filter)` matches every message (no term, no field): a list can then stop at its page. */
export function matchesAll(filter: MessageFilter): boolean {
  const { query, from, to, subject, text, mailbox, tag } = filter;
  return (!query || parseQuery(query).length === 0) && from === undefined && to === undefined && subject === undefined && text === undefined && !mailbox && tag === undefined;
}

export function compileFilter(filter: MessageFilter, options: CompileOptions = {}): Matcher {
  const lowerBody = options.lowerBodyText ?? ((m: StoredMessage) => bodyTextOf(m).toLowerCase());
  // Cheap checks first: decoding the body is the expensive part, done only when every header check passed.
  const cheap: Matcher[] = [];
  const costly: Matcher[] = [];
  for (const t of filter.query ? parseQuery(filter.query) : []) (t.key === 'word' ? costly : cheap).push(compileTerm(t, lowerBody));
  if (filter.from !== undefined) cheap.push(textCheck(filter.from, fromCandidates));
  if (filter.to !== undefined) cheap.push(textCheck(filter.to, toCandidates));
  if (filter.subject !== undefined) cheap.push(textCheck(filter.subject, (m) => [m.summary.subject]));
  if (filter.mailbox) cheap.push(mailboxCheck(filter.mailbox));
  if (filter.tag !== undefined) cheap.push(tagCheck(filter.tag));
  if (typeof filter.text === 'string') {
    const needle = filter.text.toLowerCase();
    costly.push((m) => lowerBody(m).includes(needle));
  } else if (filter.text !== undefined) costly.push(textCheck(filter.text, (m) => [bodyTextOf(m)]));
  const checks = [...cheap, ...costly];
  return (m, store) => checks.every((c) => c(m, store));
}

function compileTerm(t: QueryTerm, lowerBody: (m: StoredMessage) => string): Matcher {
  const inner = termMatcher(t, lowerBody);
  return t.negated ? (m, s) => !inner(m, s) : inner;
}

function termMatcher(t: QueryTerm, lowerBody: (m: StoredMessage) => string): Matcher {
  const v = t.value;
  switch (t.key) {
    case 'word':
      return (m) => anyIncludes([m.summary.subject, ...fromCandidates(m), ...toCandidates(m)], v) || lowerBody(m).includes(v);
    case 'from':
      return (m) => anyIncludes(fromCandidates(m), v);
    case 'to':
      return (m) => anyIncludes(toCandidates(m), v);
    case 'cc':
      return (m) => anyIncludes(m.summary.cc.flatMap(addressStrings), v);
    case 'subject':
      return (m) => m.summary.subject.toLowerCase().includes(v);
    case 'mailbox':
      return mailboxCheck(v);
    case 'tag':
      return tagCheck(v);
    case 'read':
      return (m, s) => s.isSeen(m);
    case 'unread':
      return (m, s) => !s.isSeen(m);
    case 'attachment':
      return (m) => m.summary.hasAttachments;
    case 'before':
      return (m) => m.receivedAt.getTime() < (t.time ?? 0);
    case 'after':
      // Like IMAP SINCE: a bare date includes that whole day, so `after:<today>` shows today's mail.
      return (m) => m.receivedAt.getTime() >= (t.time ?? 0);
  }
}

function mailboxCheck(address: string): Matcher {
  const want = address.trim().toLowerCase();
  return (m, s) => s.mailboxesOf(m).includes(want);
}

/** A tag matches whole, case-insensitively: `tag:qa` does not match `qa-blocked` (use quotes for spaces: `tag:"needs review"`). */
function tagCheck(tag: string): Matcher {
  return (m) => hasTag(m.tags, tag);
}

function textCheck(match: TextMatch, candidates: (m: StoredMessage) => string[]): Matcher {
  if (typeof match === 'string') {
    const v = match.toLowerCase();
    return (m) => anyIncludes(candidates(m), v);
  }
  // A /g or /y RegExp keeps lastIndex between test() calls; reset it so every message is tested from the start.
  return (m) =>
    candidates(m).some((c) => {
      match.lastIndex = 0;
      return match.test(c);
    });
}

function anyIncludes(values: string[], needle: string): boolean {
  return values.some((x) => x.toLowerCase().includes(needle));
}

/** `address`, `name` and `name <address>`, so both `ann@x` and `"Ann Lee"` and a RegExp over the whole form match. */
function addressStrings(a: Address): string[] {
  return a.name ? [a.address, a.name, `${a.name} <${a.address}>`] : [a.address];
}

function fromCandidates(m: StoredMessage): string[] {
  const out = m.summary.from ? addressStrings(m.summary.from) : [];
  if (m.envelope.mailFrom) out.push(m.envelope.mailFrom);
  return out;
}

function toCandidates(m: StoredMessage): string[] {
  return [...m.summary.to.flatMap(addressStrings), ...m.summary.cc.flatMap(addressStrings), ...m.envelope.rcptTo];
}

export interface LowerBodyTextCache {
  (m: StoredMessage): string;
  /** The cached text, without computing it. */
  peek(m: StoredMessage): string | undefined;
  /** Caches a text computed elsewhere (the parse pool's worker). */
  remember(m: StoredMessage, text: string): void;
}

/**
 * A bounded cache of lower-cased body text for repeated searches (the UI searches on every keystroke). Bounded by total
 * characters, least recently used dropped first; keyed by id so it never pins a deleted message's bytes.
 * One per HTTP server, never module-level.
 */
export function cachedLowerBodyText(maxChars = 32 * 1024 * 1024): LowerBodyTextCache {
  const entries = new Map<string, string>();
  let total = 0;
  const peek = (m: StoredMessage) => {
    const hit = entries.get(m.id);
    if (hit !== undefined) {
      entries.delete(m.id);
      entries.set(m.id, hit);
    }
    return hit;
  };
  const remember = (m: StoredMessage, text: string) => {
    const old = entries.get(m.id);
    if (old !== undefined) total -= old.length;
    entries.delete(m.id);
    entries.set(m.id, text);
    total += text.length;
    for (const [key, value] of entries) {
      if (total <= maxChars || entries.size <= 1) break;
      entries.delete(key);
      total -= value.length;
    }
  };
  const lowerBodyText = (m: StoredMessage) => {
    const hit = peek(m);
    if (hit !== undefined) return hit;
    const text = bodyTextOf(m).toLowerCase();
    remember(m, text);
    return text;
  };
  return Object.assign(lowerBodyText, { peek, remember });
}
