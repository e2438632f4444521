import { bad, no } from '../imap-error.js';
import { formatMailboxName } from '../wire/encoder.js';
import type { NameSpelling } from '../wire/mailbox-name.js';
import { isRev2, rev1OnlyStatusItems } from '../rev2.js';
import type { Folder, Mailbox, SpecialUse } from '../../store/types.js';
import type { Token } from '../wire/tokenizer.js';
import { expectArgCount, getAstring, getList, getMailbox, toKeyword } from '../wire/args.js';
import { authenticated, defineCommand, ok, type CommandContext } from './define.js';
import { folderOf, mailboxOf, parentsOf, storeCall } from './folder-access.js';
import { enableCondstore } from '../condstore.js';

// CREATE mailbox — RFC 3501 §6.3.3. A trailing `/` is dropped; missing superiors are created too.
// Like Dovecot and other real servers, CREATE does not subscribe (RFC 3501 §6.3.3 leaves it to SUBSCRIBE; RFC 5258's
// LIST-EXTENDED tests expect it) — unless the name is still subscribed from a folder deleted before (subscriptions
// outlive their folders). Superiors are created on the way.
// CREATE mailbox (USE (\Drafts)) — RFC 6154 §3 CREATE-SPECIAL-USE: one special use per folder (SPEC §17).
export const create = defineCommand({
  names: ['CREATE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args, ctx) => {
    expectArgCount(args, 1, 2);
    return { name: getMailbox(args, 0, ctx.session, 'CANNOT'), specialUse: args[1] ? parseCreateParams(getList(args, 1, 'CREATE parameters')) : undefined };
  },
  run(ctx, { name, specialUse }) {
    const mailbox = mailboxOf(ctx);
    if (mailbox.folders.has(name)) throw no('Folder already exists', 'ALREADYEXISTS');
    createSuperiors(ctx, mailbox, name);
    storeCall(() => ctx.server.store.createFolder(mailbox.address, name, { subscribed: false, specialUse }));
    return ok('CREATE completed');
  },
});

const specialUses: readonly SpecialUse[] = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];

/** `(USE (\Drafts))`: the one create-param there is. An unknown or second use attribute is NO [USEATTR]. */
function parseCreateParams(params: readonly Token[]): SpecialUse | undefined {
  if (params.length === 0) return undefined;
  if (params.length !== 2 || toKeyword(params[0], 'CREATE parameter') !== 'USE') throw bad('Unknown CREATE parameter; only USE (attributes) is supported');
  const attrs = getList(params, 1, 'USE attributes').map((t) => (t.type === 'atom' ? t.value : ''));
  if (attrs.length === 0) return undefined;
  const known = attrs.map((a) => specialUses.find((u) => u.toLowerCase() === a.toLowerCase()));
  if (known.some((u) => !u)) throw no(`Unsupported special use ${attrs.find((_a, i) => !known[i])?.slice(0, 30)}`, 'USEATTR');
  if (new Set(known).size > 1) throw no('A folder has one special use here', 'USEATTR');
  return known[0];
}

function createSuperiors(ctx: CommandContext, mailbox: Mailbox, name: string): void {
  for (const parent of parentsOf(name)) {
    if (!mailbox.folders.has(parent)) storeCall(() => ctx.server.store.createFolder(mailbox.address, parent, { subscribed: false }));
  }
}

// DELETE mailbox — RFC 3501 §6.3.4. Children stay. Deleting the folder this session has selected deselects it.
export const del = defineCommand({
  names: ['DELETE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args, ctx) => (expectArgCount(args, 1), { name: getMailbox(args, 0, ctx.session) }),
  run(ctx, { name }) {
    const folder = folderOf(ctx, name);
    // Refused before deselecting: a failed DELETE must leave the session's selection alone.
    if (name === 'INBOX') throw no('INBOX cannot be deleted', 'CANNOT');
    if (ctx.session.view?.folder === folder) ctx.session.deselect();
    storeCall(() => ctx.server.store.deleteFolder(folder.mailbox, name, ctx.session));
    return ok('DELETE completed');
  },
});

// RENAME existing new — RFC 3501 §6.3.5. Renaming INBOX moves its messages and leaves it empty.
export const rename = defineCommand({
  names: ['RENAME'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args, ctx) => (expectArgCount(args, 2), { from: getMailbox(args, 0, ctx.session), to: getMailbox(args, 1, ctx.session, 'CANNOT') }),
  run(ctx, { from, to }) {
    const mailbox = mailboxOf(ctx);
    folderOf(ctx, from);
    if (mailbox.folders.has(to)) throw no('Target folder already exists', 'ALREADYEXISTS');
    if (to === from || to.startsWith(from + '/')) throw no('Cannot rename a folder into itself', 'CANNOT');
    createSuperiors(ctx, mailbox, to);
    storeCall(() => ctx.server.store.renameFolder(mailbox.address, from, to, ctx.session));
    return ok('RENAME completed');
  },
});

// SUBSCRIBE mailbox / UNSUBSCRIBE mailbox — RFC 3501 §6.3.6, §6.3.7. Subscriptions are names, as in Dovecot: a name
// with no folder can be subscribed (RFC 3501 lets a server accept it) and stays subscribed after DELETE, listed as
// `\NonExistent` by LIST (SUBSCRIBED); UNSUBSCRIBE of such a name cleans it up.
export const subscribe = defineCommand({
  names: ['SUBSCRIBE', 'UNSUBSCRIBE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args, ctx) => (expectArgCount(args, 1), { name: getMailbox(args, 0, ctx.session) }),
  run(ctx, { name }) {
    const mailbox = mailboxOf(ctx);
    storeCall(() => ctx.server.store.setSubscribedName(mailbox.address, name, ctx.name === 'SUBSCRIBE'));
    return ok(`${ctx.name} completed`);
  },
});

// NAMESPACE — RFC 2342: one personal namespace, "/" as the delimiter, no shared or other users'.
export const namespace = defineCommand({
  names: ['NAMESPACE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args) => expectArgCount(args, 0),
  async run(ctx) {
    await ctx.session.untagged('NAMESPACE (("" "/")) NIL NIL');
    return ok('NAMESPACE completed');
  },
});

// SIZE: RFC 8438 (STATUS=SIZE); HIGHESTMODSEQ: RFC 7162 §3.1.6; DELETED, DELETED-STORAGE: RFC 9208 §4.2 (STORAGE in
// units of 1024 octets).
const statusItems = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'SIZE', 'HIGHESTMODSEQ', 'DELETED', 'DELETED-STORAGE'] as const;
export type StatusItem = (typeof statusItems)[number];

/**
 * `(MESSAGES UNSEEN ...)` for STATUS and LIST-STATUS; an unknown item is NO (as in Dovecot). RECENT is no STATUS item
 * in IMAP4rev2 (RFC 9051 §6.3.11): a rev2 session asking for it gets BAD, as for any word outside its grammar.
 */
export function parseStatusItems(list: readonly Token[], enabled: ReadonlySet<string>): StatusItem[] {
  const items = list.map((t) => toKeyword(t, 'status item'));
  for (const item of items) {
    if (isRev2(enabled) && rev1OnlyStatusItems.has(item)) throw bad(`${item} is not a STATUS item in IMAP4rev2`);
    if (!(statusItems as readonly string[]).includes(item)) throw no(`Unknown status item ${item.slice(0, 30)}`);
  }
  return items as StatusItem[];
}

/** `STATUS "name" (MESSAGES 3 ...)` without the `* `, the name as the session reads names. */
export function statusLine(folder: Folder, items: readonly StatusItem[], session: NameSpelling): string {
  const deleted = () => folder.placements.filter((p) => p.flags.has('\\Deleted'));
  const value = (item: StatusItem): number => {
    switch (item) {
      case 'MESSAGES':
        return folder.placements.length;
      case 'RECENT':
        return folder.placements.filter((p) => p.recent).length;
      case 'UIDNEXT':
        return folder.uidNext;
      case 'UIDVALIDITY':
        return folder.uidValidity;
      case 'UNSEEN':
        return folder.placements.filter((p) => !p.flags.has('\\Seen')).length;
      case 'SIZE':
        return folder.placements.reduce((n, p) => n + p.message.size, 0);
      case 'HIGHESTMODSEQ':
        return folder.highestModseq;
      case 'DELETED':
        return deleted().length;
      case 'DELETED-STORAGE':
        return Math.ceil(deleted().reduce((n, p) => n + p.message.size, 0) / 1024);
    }
  };
  return `STATUS ${formatMailboxName(folder.name, session).toString('utf8')} (${items.map((i) => `${i} ${value(i)}`).join(' ')})`;
}

// STATUS mailbox (item ...) — RFC 3501 §6.3.10
export const status = defineCommand({
  names: ['STATUS'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs(args, ctx) {
    expectArgCount(args, 2);
    return { name: getMailbox(args, 0, ctx.session), items: parseStatusItems(getList(args, 1, 'status items'), ctx.enabled) };
  },
  async run(ctx, { name, items }) {
    const folder = folderOf(ctx, name);
    if (items.includes('HIGHESTMODSEQ')) await enableCondstore(ctx);
    await ctx.session.untagged(statusLine(folder, items, ctx.session));
    return ok('STATUS completed');
  },
});
