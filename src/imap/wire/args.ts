import { normalizeFolderName } from '../../store/mailbox.js';
import { bad, no } from '../imap-error.js';
import { decodeMailboxName, isUtf8Names, type NameSpelling } from './mailbox-name.js';
import { parseSequenceSet, type SequenceSet } from './sequence-set.js';
import { ImapSyntaxError, type Token } from './tokenizer.js';

/**
 * Typed argument getters: every rule about what an argument may look like lives here, so commands read
 * `getMailbox(args, 0)` and never inspect tokens themselves. Each throws a BAD ImapError naming the argument.
 */

function at(args: readonly Token[], i: number, what: string): Token {
  const t = args[i];
  if (!t) throw bad(`Missing ${what}`);
  return t;
}

export function expectArgCount(args: readonly Token[], min: number, max = min): void {
  if (args.length < min) throw bad('Missing arguments');
  if (args.length > max) throw bad('Too many arguments');
}

/** astring (RFC 3501 §9): atom, quoted string or literal. NIL is read as the atom `NIL`. */
export function getAstring(args: readonly Token[], i: number, what = 'argument'): string {
  return astringBytes(at(args, i, what), what).toString('utf8');
}

export function astringBytes(t: Token, what = 'argument'): Buffer {
  switch (t.type) {
    case 'atom':
      if (t.section) throw bad(`Bad ${what}`);
      return Buffer.from(t.value, 'utf8');
    case 'literal':
      // RFC 3516 §4.3: a literal8 is APPEND's message data, never an astring.
      if (t.isBinary) throw bad(`Bad ${what}: a literal8 (~{n}) is only allowed for APPEND message data`);
      return t.value;
    case 'string':
      return t.value;
    case 'nil':
      return Buffer.from('NIL');
    case 'list':
      throw bad(`Bad ${what}: a list is not allowed here`);
  }
}

/** An atom, upper-cased (command keywords, status items, fetch/search keys). */
export function getKeyword(args: readonly Token[], i: number, what = 'keyword'): string {
  return toKeyword(at(args, i, what), what);
}

export function toKeyword(t: Token, what = 'keyword'): string {
  if (t.type === 'nil') return 'NIL';
  if (t.type !== 'atom') throw bad(`Bad ${what}`);
  return t.value.toUpperCase();
}

/**
 * A mailbox name, modified-UTF-7 decoded (RFC 3501 §5.1.3) or, in a session that enabled UTF8=ACCEPT, read as
 * UTF-8 (RFC 6855 §3), with `INBOX` case-folded. A name that is not valid in the session's spelling is NO with
 * `invalidCode` (NONEXISTENT when looking a folder up, CANNOT when making one).
 */
export function getMailbox(args: readonly Token[], i: number, session: NameSpelling, invalidCode: 'NONEXISTENT' | 'CANNOT' = 'NONEXISTENT'): string {
  const wire = getAstring(args, i, 'mailbox name');
  try {
    return normalizeFolderName(decodeMailboxName(wire, isUtf8Names(session)));
  } catch (err) {
    // Still a well-formed astring, so not BAD: it just names no folder there is (or could be, for CREATE), as in
    // Dovecot.
    if (err instanceof ImapSyntaxError) throw no(`${err.message}: no folder has this name`, invalidCode);
    throw err;
  }
}

export function getSequenceSet(args: readonly Token[], i: number): SequenceSet {
  const t = at(args, i, 'sequence set');
  if (t.type !== 'atom') throw bad('Bad sequence set');
  return toSequenceSet(t.value);
}

export function toSequenceSet(text: string): SequenceSet {
  try {
    return parseSequenceSet(text);
  } catch (err) {
    if (err instanceof ImapSyntaxError) throw bad(err.message);
    throw err;
  }
}

export function getNumber(args: readonly Token[], i: number, what = 'number'): number {
  const t = at(args, i, what);
  if (t.type !== 'atom' || !/^\d{1,10}$/.test(t.value) || Number(t.value) > 4294967295) throw bad(`Bad ${what}`);
  return Number(t.value);
}

export function getList(args: readonly Token[], i: number, what = 'list'): Token[] {
  const t = at(args, i, what);
  if (t.type !== 'list') throw bad(`Bad ${what}: expected a parenthesised list`);
  return t.items;
}

// flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
const systemFlags = new Map(['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'].map((f) => [f.toUpperCase(), f]));

/**
 * One flag, system flags case-normalised; `\Recent` can't be set by a client (RFC 3501 §2.3.2). `NIL` here is an
 * atom like any other (flag-keyword = atom), so it is the keyword `NIL`, as Dovecot reads it.
 */
export function toFlag(t: Token): string {
  if (t.type === 'nil') return 'NIL';
  if (t.type !== 'atom' || t.section || !/^\\?[^\s()"{%*\]\\]+$/.test(t.value)) throw bad('Bad flag');
  const system = systemFlags.get(t.value.toUpperCase());
  if (system) return system;
  if (t.value.startsWith('\\')) throw bad(`Unknown system flag ${t.value.slice(0, 40)}`);
  return t.value;
}

/** A flag list `(\Seen $Label)`; a single unparenthesised flag is accepted too (STORE allows it). */
export function getFlagList(args: readonly Token[], i: number): string[] {
  const t = at(args, i, 'flag list');
  return [...new Set(t.type === 'list' ? t.items.map(toFlag) : [toFlag(t)])];
}

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** date (RFC 3501 §9): `1-Feb-1994` or `"01-Feb-1994"`; the day as a UTC midnight. */
export function getDate(args: readonly Token[], i: number): Date {
  const text = getAstring(args, i, 'date');
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const month = m ? months.indexOf(m[2].toLowerCase()) : -1;
  if (!m || month < 0) throw bad('Bad date, expected e.g. 1-Feb-1994');
  const d = new Date(Date.UTC(Number(m[3]), month, Number(m[1])));
  if (d.getUTCDate() !== Number(m[1])) throw bad('Bad date');
  return d;
}

/** date-time (RFC 3501 §9): `"17-Jul-1996 02:44:25 -0700"` (APPEND). */
export function toDateTime(t: Token): Date {
  if (t.type !== 'string') throw bad('Bad date-time: expected a quoted string');
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(t.value.toString('latin1'));
  const month = m ? months.indexOf(m[2].toLowerCase()) : -1;
  if (!m || month < 0) throw bad('Bad date-time, expected e.g. "17-Jul-1996 02:44:25 -0700"');
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset * 60_000;
  return new Date(utc);
}
