import type { Folder, Mailbox } from '../../store/types.js';
import { decodeMailboxName, isUtf8Names, type NameSpelling } from '../wire/mailbox-name.js';
import { formatMailboxName } from '../wire/encoder.js';
import { astringBytes, expectArgCount, getAstring, getList, toKeyword } from '../wire/args.js';
import { bad } from '../imap-error.js';
import type { Token } from '../wire/tokenizer.js';
import { parseStatusItems, statusLine, type StatusItem } from './folders.js';
import { ImapSyntaxError } from '../wire/tokenizer.js';
import { authenticated, defineCommand, ok } from './define.js';
import { mailboxOf, parentsOf } from './folder-access.js';

/** LIST-EXTENDED (RFC 5258) options; all false for a plain LIST. */
interface ListOptions {
  /** Selection: only subscribed folders (implies returning \Subscribed). */
  subscribed: boolean;
  /** Selection: also parents whose descendants are selected, with CHILDINFO. */
  recursiveMatch: boolean;
  /** Selection (RFC 6154): only folders with a special use. */
  specialUse: boolean;
  /** Return: \Subscribed on subscribed folders. */
  returnSubscribed: boolean;
  /** Return (RFC 5819 LIST-STATUS): a STATUS response after each selectable folder. */
  status: StatusItem[] | null;
}

const selectionOptions = ['SUBSCRIBED', 'REMOTE', 'RECURSIVEMATCH', 'SPECIAL-USE'];
const returnOptions = ['SUBSCRIBED', 'CHILDREN', 'SPECIAL-USE', 'STATUS'];

/**
 * LIST reference pattern — RFC 3501 §6.3.8, with RFC 3348 CHILDREN and RFC 6154 SPECIAL-USE attributes;
 * LIST (selection) reference (patterns) RETURN (options) — RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS.
 * LSUB reference pattern — RFC 3501 §6.3.9: the same over subscribed folders.
 * `*` matches across levels, `%` within one; a superior that exists only by implication is `\Noselect`.
 * CHILDREN and SPECIAL-USE attributes are always sent, asked for or not (RFC 5258 lets a server do so).
 */
export const list = defineCommand({
  names: ['LIST', 'LSUB'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs(args, ctx) {
    if (ctx.name === 'LSUB') {
      expectArgCount(args, 2);
      const utf8 = isUtf8Names(ctx.session);
      return { reference: decodedOrNull(getAstring(args, 0, 'reference'), utf8), patterns: [decodedOrNull(getAstring(args, 1, 'pattern'), utf8)], options: null };
    }
    return parseList(args, isUtf8Names(ctx.session), ctx.enabled);
  },
  async run(ctx, { reference, patterns, options }) {
    const kind = ctx.name as 'LIST' | 'LSUB';
    // Not valid modified UTF-7: no folder name can match it, so it matches nothing (as in Dovecot).
    const valid = patterns.filter((p): p is string => p !== null);
    if (reference === null || valid.length === 0) return ok(`${kind} completed`);
    if (!options && valid.length === 1 && valid[0] === '' && kind === 'LIST') {
      // RFC 3501: an empty pattern asks for the delimiter and root.
      await ctx.session.untagged('LIST (\\Noselect) "/" ""');
      return ok('LIST completed');
    }
    const matchers = valid.map((p) => patternToRegExp(reference + p));
    const matcher = { test: (name: string): boolean => matchers.some((m) => m.test(name)) };
    const mailbox = mailboxOf(ctx);
    const rows = options ? extendedListing(mailbox, matcher, options) : listing(mailbox, kind === 'LSUB', matcher).map(([name, attrs]) => ({ name, attrs, childInfo: false }));
    for (const { name, attrs, childInfo } of rows) {
      const extra = childInfo ? ' ("CHILDINFO" ("SUBSCRIBED"))' : '';
      await ctx.session.untagged(`${kind} (${attrs.join(' ')}) "/" ${formatMailboxName(name, ctx.session).toString('utf8')}${extra}`);
      const folder = mailbox.folders.get(name);
      if (options?.status && folder && !attrs.includes('\\Noselect')) await ctx.session.untagged(statusLine(folder, options.status, ctx.session));
    }
    return ok(`${kind} completed`);
  },
});

function parseList(args: readonly Token[], utf8: boolean, enabled: ReadonlySet<string>): { reference: string | null; patterns: Array<string | null>; options: ListOptions | null } {
  let i = 0;
  let isExtended = false;
  const options: ListOptions = { subscribed: false, recursiveMatch: false, specialUse: false, returnSubscribed: false, status: null };
  if (args[0]?.type === 'list') {
    isExtended = true;
    for (const t of args[0].items) {
      const name = toKeyword(t, 'selection option');
      if (!selectionOptions.includes(name)) throw bad(`Unknown LIST selection option ${name.slice(0, 30)}`);
      if (name === 'SUBSCRIBED') options.subscribed = options.returnSubscribed = true;
      if (name === 'RECURSIVEMATCH') options.recursiveMatch = true;
      if (name === 'SPECIAL-USE') options.specialUse = true;
    }
    // RFC 5258 §3.1: RECURSIVEMATCH only refines another selection option.
    if (options.recursiveMatch && !options.subscribed) throw bad('RECURSIVEMATCH needs the SUBSCRIBED selection option');
    i = 1;
  }
  const reference = decodedOrNull(getAstring(args, i, 'reference'), utf8);
  const patternToken = args[i + 1];
  if (!patternToken) throw bad('Missing mailbox pattern');
  const patterns = patternToken.type === 'list' ? patternToken.items.map((t) => decodedOrNull(astringBytes(t, 'pattern').toString('utf8'), utf8)) : [decodedOrNull(getAstring(args, i + 1, 'pattern'), utf8)];
  if (patternToken.type === 'list') {
    if (patterns.length === 0) throw bad('Empty pattern list');
    isExtended = true;
  }
  const rest = args.slice(i + 2);
  if (rest.length > 0) {
    if (rest.length !== 2 || toKeyword(rest[0], 'RETURN') !== 'RETURN') throw bad('Expected RETURN (options) after the pattern');
    isExtended = true;
    const items = getList(rest, 1, 'return options');
    for (let k = 0; k < items.length; k++) {
      const name = toKeyword(items[k], 'return option');
      if (!returnOptions.includes(name)) throw bad(`Unknown LIST return option ${name.slice(0, 30)}`);
      if (name === 'SUBSCRIBED') options.returnSubscribed = true;
      if (name === 'STATUS') options.status = parseStatusItems(getList(items, ++k, 'status items'), enabled);
    }
  }
  return { reference, patterns, options: isExtended ? options : null };
}

interface ListRow {
  name: string;
  attrs: string[];
  /** RFC 5258 CHILDINFO ("SUBSCRIBED"): listed because a descendant the pattern misses is subscribed. */
  childInfo: boolean;
}

/** LIST-EXTENDED: the plain listing, filtered and annotated by the selection and return options. */
function extendedListing(mailbox: Mailbox, matcher: Matcher, options: ListOptions): ListRow[] {
  const all = [...mailbox.folders.values()];
  let rows: ListRow[];
  if (options.subscribed) {
    // Subscribed names: folders with the flag, and names whose folder was deleted (`\NonExistent`, RFC 5258 §3).
    const subscribed = [...all.filter((f) => f.subscribed).map((f) => f.name), ...mailbox.lostSubscriptions];
    const chosen = new Map<string, ListRow>();
    for (const n of subscribed) if (matcher.test(n)) chosen.set(n, { name: n, attrs: extendedAttributes(mailbox, n), childInfo: false });
    if (options.recursiveMatch) {
      for (const n of subscribed) {
        if (matcher.test(n)) continue;
        for (const parent of parentsOf(n)) {
          if (!matcher.test(parent)) continue;
          const row = chosen.get(parent) ?? { name: parent, attrs: extendedAttributes(mailbox, parent), childInfo: false };
          row.childInfo = true;
          chosen.set(parent, row);
        }
      }
    }
    rows = sortNames([...chosen.keys()]).map((n) => chosen.get(n)!);
  } else {
    rows = listing(mailbox, false, matcher).map(([name, attrs]) => ({ name, attrs, childInfo: false }));
  }
  if (options.specialUse) rows = rows.filter((r) => mailbox.folders.get(r.name)?.specialUse);
  if (options.returnSubscribed) {
    for (const r of rows) if (mailbox.folders.get(r.name)?.subscribed || mailbox.lostSubscriptions.has(r.name)) r.attrs.push('\\Subscribed');
  }
  return rows;
}

function decodedOrNull(wire: string, isUtf8: boolean): string | null {
  try {
    return decodeMailboxName(wire, isUtf8);
  } catch (err) {
    if (err instanceof ImapSyntaxError) return null;
    throw err;
  }
}

interface Matcher {
  test(name: string): boolean;
}

const sortNames = (names: string[]): string[] => names.sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a.localeCompare(b)));

/** LIST-EXTENDED attributes: a name with no folder is `\\NonExistent` (which implies `\\Noselect`, RFC 5258 §3). */
function extendedAttributes(mailbox: Mailbox, name: string): string[] {
  const folder = mailbox.folders.get(name) ?? null;
  const attrs = attributes(mailbox, name, folder);
  if (!folder) attrs[0] = '\\NonExistent';
  return attrs;
}

/** `LIST (attrs) "/" name` for one folder: what SELECT and EXAMINE send an IMAP4rev2 session (RFC 9051 §6.3.2). */
export function listLine(mailbox: Mailbox, name: string, session: NameSpelling): string {
  return `LIST (${attributes(mailbox, name, mailbox.folders.get(name) ?? null).join(' ')}) "/" ${formatMailboxName(name, session).toString('utf8')}`;
}

function attributes(mailbox: Mailbox, name: string, folder: Folder | null): string[] {
  let hasChildren = false;
  for (const n of mailbox.folders.keys()) if (n.startsWith(name + '/')) hasChildren = true;
  const attrs = [hasChildren ? '\\HasChildren' : '\\HasNoChildren'];
  if (!folder) attrs.unshift('\\Noselect');
  if (folder?.specialUse) attrs.push(folder.specialUse);
  return attrs;
}

/** Every name the pattern matches, with its attributes: INBOX first, then by name. */
function listing(mailbox: Mailbox, onlySubscribed: boolean, matcher: Matcher): Array<[string, string[]]> {
  const folders = [...mailbox.folders.values()].filter((f) => !onlySubscribed || f.subscribed);
  const names = new Map<string, Folder | null>(folders.filter((f) => matcher.test(f.name)).map((f) => [f.name, f]));
  for (const f of folders) {
    // LSUB shows an unsubscribed superior only in place of a subscribed name the pattern misses: `%` returns
    // `foo` (\Noselect) for a subscribed `foo/bar`, `*` returns `foo/bar` alone (RFC 3501 §6.3.9). imapflow
    // and others merge LSUB attributes into LIST, so an extra `foo` would read as subscribed and unselectable.
    if (onlySubscribed && names.has(f.name)) continue;
    for (const parent of parentsOf(f.name)) {
      if (!names.has(parent) && matcher.test(parent)) names.set(parent, mailbox.folders.get(parent) ?? null);
    }
  }
  // A subscription outlives its folder (RFC 3501 §6.3.6): LSUB lists it, \\Noselect.
  if (onlySubscribed) for (const n of mailbox.lostSubscriptions) if (matcher.test(n)) names.set(n, null);
  const all = [...mailbox.folders.keys()];
  const sorted = [...names.keys()].sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a.localeCompare(b)));
  return sorted.map((name) => {
    const folder = names.get(name) ?? null;
    const hasChildren = all.some((n) => n.startsWith(name + '/'));
    const attrs = [hasChildren ? '\\HasChildren' : '\\HasNoChildren'];
    if (!folder) attrs.unshift('\\Noselect');
    else if (onlySubscribed && !folder.subscribed) attrs.unshift('\\Noselect');
    if (folder?.specialUse) attrs.push(folder.specialUse);
    return [name, attrs];
  });
}

/** A LIST pattern as a RegExp; INBOX matches case-insensitively (RFC 3501 §5.1). */
export function patternToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/^inbox(?=$|\/)/i, 'INBOX')
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '%' ? '[^/]*' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}
