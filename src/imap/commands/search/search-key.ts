import { bad, no } from '../../imap-error.js';
import { toModseq } from '../../condstore.js';
import { getAstring, getDate, getNumber, toSequenceSet } from '../../wire/args.js';
import type { SequenceSet } from '../../wire/sequence-set.js';
import type { Token } from '../../wire/tokenizer.js';

/** A parsed search-key (RFC 3501 §6.4.4). A list of keys is their AND. */
export type SearchKey =
  | { op: 'all' }
  | { op: 'and'; keys: SearchKey[] }
  | { op: 'or'; left: SearchKey; right: SearchKey }
  | { op: 'not'; key: SearchKey }
  | { op: 'flag'; flag: string; isSet: boolean }
  | { op: 'recent'; isSet: boolean }
  | { op: 'new' }
  | { op: 'header'; field: string; value: string }
  /** FROM/TO/CC/BCC: the header text or any address parsed from it (RFC 3501 §6.4.4, "contains the string"). */
  | { op: 'address'; field: string; value: string }
  | { op: 'body' | 'text'; value: string }
  | { op: 'date'; of: 'internal' | 'sent'; cmp: 'before' | 'on' | 'since'; date: Date }
  | { op: 'size'; cmp: 'larger' | 'smaller'; size: number }
  | { op: 'seq' | 'uid'; set: SequenceSet }
  /** MODSEQ n (RFC 7162 §3.1.5): changed at or after n. The per-flag entry names are accepted and read as "any". */
  | { op: 'modseq'; modseq: number }
  /** WITHIN (RFC 5032): INTERNALDATE more (OLDER) or less (YOUNGER) than `seconds` before the search runs. */
  | { op: 'age'; cmp: 'older' | 'younger'; seconds: number };

/** NOT NOT NOT ... or nested parentheses deeper than this are refused rather than recursed into. */
export const maxSearchDepth = 64;

const flagKeys: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};
const headerKeys: Record<string, string> = { SUBJECT: 'subject' };
const addressKeys: Record<string, string> = { BCC: 'bcc', CC: 'cc', FROM: 'from', TO: 'to' };
const dateKeys: Record<string, ['internal' | 'sent', 'before' | 'on' | 'since']> = {
  BEFORE: ['internal', 'before'],
  ON: ['internal', 'on'],
  SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'],
  SENTON: ['sent', 'on'],
  SENTSINCE: ['sent', 'since'],
};
const charsets = new Set(['UTF-8', 'US-ASCII']);

/** `[CHARSET x] key...` -> one key. Throws BAD on syntax, NO [BADCHARSET] on an unknown charset. */
/** True when the key uses MODSEQ: the SEARCH response then ends with `(MODSEQ highest)` (RFC 7162 §3.1.5). */
export function usesModseq(key: SearchKey): boolean {
  switch (key.op) {
    case 'modseq':
      return true;
    case 'and':
      return key.keys.some(usesModseq);
    case 'or':
      return usesModseq(key.left) || usesModseq(key.right);
    case 'not':
      return usesModseq(key.key);
    default:
      return false;
  }
}

export function parseSearch(args: readonly Token[]): SearchKey {
  let i = 0;
  if (args[0]?.type === 'atom' && args[0].value.toUpperCase() === 'CHARSET') {
    const charset = getAstring(args, 1, 'charset').toUpperCase();
    if (!charsets.has(charset)) throw no(`Unsupported charset ${charset.slice(0, 30)}`, 'BADCHARSET (UTF-8 US-ASCII)');
    i = 2;
  }
  if (i >= args.length) throw bad('Missing search key');
  const keys: SearchKey[] = [];
  const cursor = { args, i };
  while (cursor.i < args.length) keys.push(parseKey(cursor, 0));
  return keys.length === 1 ? keys[0] : { op: 'and', keys };
}

interface Cursor {
  args: readonly Token[];
  i: number;
}

function parseKey(c: Cursor, depth: number): SearchKey {
  if (depth > maxSearchDepth) throw bad('Search keys nested too deeply');
  const t = c.args[c.i++];
  if (!t) throw bad('Missing search key');
  if (t.type === 'list') {
    if (t.items.length === 0) throw bad('Empty search key list');
    const inner: Cursor = { args: t.items, i: 0 };
    const keys: SearchKey[] = [];
    while (inner.i < t.items.length) keys.push(parseKey(inner, depth + 1));
    return keys.length === 1 ? keys[0] : { op: 'and', keys };
  }
  if (t.type !== 'atom') throw bad('Bad search key');
  const name = t.value.toUpperCase();
  if (flagKeys[name]) return { op: 'flag', flag: flagKeys[name][0], isSet: flagKeys[name][1] };
  if (headerKeys[name]) return { op: 'header', field: headerKeys[name], value: getAstring(c.args, c.i++, name) };
  if (addressKeys[name]) return { op: 'address', field: addressKeys[name], value: getAstring(c.args, c.i++, name) };
  if (dateKeys[name]) return { op: 'date', of: dateKeys[name][0], cmp: dateKeys[name][1], date: getDate(c.args, c.i++) };
  if (/^[\d*:,]+$/.test(t.value) || t.value === '$') return { op: 'seq', set: toSequenceSet(t.value) };
  return parseOtherKey(name, c, depth);
}

/** The keys that don't come from the tables above. */
function parseOtherKey(name: string, c: Cursor, depth: number): SearchKey {
  const arg = (what: string): string => getAstring(c.args, c.i++, what);
  switch (name) {
    case 'ALL':
      return { op: 'all' };
    case 'NEW':
      return { op: 'new' };
    case 'OLD':
      return { op: 'recent', isSet: false };
    case 'RECENT':
      return { op: 'recent', isSet: true };
    case 'KEYWORD':
    case 'UNKEYWORD':
      return { op: 'flag', flag: arg('keyword'), isSet: name === 'KEYWORD' };
    case 'HEADER': {
      const field = arg('header name').toLowerCase();
      return { op: 'header', field, value: arg('header value') };
    }
    case 'BODY':
    case 'TEXT':
      return { op: name === 'BODY' ? 'body' : 'text', value: arg(name) };
    case 'LARGER':
    case 'SMALLER':
      return { op: 'size', cmp: name === 'LARGER' ? 'larger' : 'smaller', size: getNumber(c.args, c.i++, 'size') };
    case 'UID':
      return { op: 'uid', set: toSequenceSet(arg('UID set')) };
    case 'OLDER':
    case 'YOUNGER': {
      const seconds = getNumber(c.args, c.i++, 'interval');
      if (seconds === 0) throw bad(`${name} needs an interval of at least 1 second`);
      return { op: 'age', cmp: name === 'OLDER' ? 'older' : 'younger', seconds };
    }
    case 'NOT':
      return { op: 'not', key: parseKey(c, depth + 1) };
    case 'MODSEQ': {
      // search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer; ext = entry-name SP entry-type-req
      const first = c.args[c.i];
      if (first && first.type === 'string') {
        const type = c.args[c.i + 1];
        if (!type || !/^(priv|shared|all)$/i.test(type.type === 'atom' ? type.value : '')) throw bad('MODSEQ entry type must be priv, shared or all');
        c.i += 2;
      }
      return { op: 'modseq', modseq: toModseq(c.args[c.i++], 'MODSEQ', true) };
    }
    case 'OR': {
      const left = parseKey(c, depth + 1);
      return { op: 'or', left, right: parseKey(c, depth + 1) };
    }
  }
  throw bad(`Unknown search key ${name.slice(0, 40)}`);
}
