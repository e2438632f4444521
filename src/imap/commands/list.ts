import type { Folder, Mailbox } from '../../store/types.js';
import { decodeMailboxName } from '../wire/mailbox-name.js';
import { formatMailboxName } from '../wire/encoder.js';
import { expectArgCount, getAstring } from '../wire/args.js';
import { ImapSyntaxError } from '../wire/tokenizer.js';
import { authenticated, defineCommand, ok } from './define.js';
import { mailboxOf, parentsOf } from './folder-access.js';

/**
 * LIST reference pattern — RFC 3501 §6.3.8, with RFC 3348 CHILDREN and RFC 6154 SPECIAL-USE attributes.
 * LSUB reference pattern — RFC 3501 §6.3.9: the same over subscribed folders.
 * `*` matches across levels, `%` within one; a superior that exists only by implication is `\Noselect`.
 */
export const list = defineCommand({
  names: ['LIST', 'LSUB'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs(args) {
    expectArgCount(args, 2);
    return { reference: decodedOrNull(getAstring(args, 0, 'reference')), pattern: decodedOrNull(getAstring(args, 1, 'pattern')) };
  },
  async run(ctx, { reference, pattern }) {
    const kind = ctx.name as 'LIST' | 'LSUB';
    // Not valid modified UTF-7: no folder name can match it, so the answer is an empty OK (as in Dovecot).
    if (reference === null || pattern === null) return ok(`${kind} completed`);
    if (pattern === '' && kind === 'LIST') {
      // RFC 3501: an empty pattern asks for the delimiter and root.
      await ctx.session.untagged('LIST (\\Noselect) "/" ""');
      return ok('LIST completed');
    }
    const matcher = patternToRegExp(reference + pattern);
    for (const [name, attrs] of listing(mailboxOf(ctx), kind === 'LSUB', matcher)) {
      await ctx.session.untagged(`${kind} (${attrs.join(' ')}) "/" ${formatMailboxName(name).toString('utf8')}`);
    }
    return ok(`${kind} completed`);
  },
});

function decodedOrNull(wire: string): string | null {
  try {
    return decodeMailboxName(wire);
  } catch (err) {
    if (err instanceof ImapSyntaxError) return null;
    throw err;
  }
}

/** Every name the pattern matches, with its attributes: INBOX first, then by name. */
function listing(mailbox: Mailbox, onlySubscribed: boolean, matcher: RegExp): Array<[string, string[]]> {
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
