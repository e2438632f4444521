import { no } from '../imap-error.js';
import { formatMailboxName } from '../wire/encoder.js';
import type { Mailbox } from '../../store/types.js';
import { expectArgCount, getAstring, getList, getMailbox, toKeyword } from '../wire/args.js';
import { authenticated, defineCommand, ok, type CommandContext } from './define.js';
import { folderOf, mailboxOf, parentsOf, storeCall } from './folder-access.js';
import { enableCondstore } from '../condstore.js';

// CREATE mailbox — RFC 3501 §6.3.3. A trailing `/` is dropped; missing superiors are created too.
// The folder named is subscribed (clients that list only subscribed folders show it at once); superiors created
// on the way, and a name given with a trailing `/` (a place for children only), are not: LSUB then shows them
// `\Noselect` exactly while a subscribed child needs them (RFC 3501 §6.3.9).
export const create = defineCommand({
  names: ['CREATE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args) => {
    expectArgCount(args, 1);
    return { name: getMailbox(args, 0, 'CANNOT'), isPlaceholder: getAstring(args, 0).endsWith('/') };
  },
  run(ctx, { name, isPlaceholder }) {
    const mailbox = mailboxOf(ctx);
    if (mailbox.folders.has(name)) throw no('Folder already exists', 'ALREADYEXISTS');
    createSuperiors(ctx, mailbox, name);
    storeCall(() => ctx.server.store.createFolder(mailbox.address, name, { subscribed: !isPlaceholder }));
    return ok('CREATE completed');
  },
});

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
  parseArgs: (args) => (expectArgCount(args, 1), { name: getMailbox(args, 0) }),
  run(ctx, { name }) {
    const folder = folderOf(ctx, name);
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
  parseArgs: (args) => (expectArgCount(args, 2), { from: getMailbox(args, 0), to: getMailbox(args, 1, 'CANNOT') }),
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

// SUBSCRIBE mailbox / UNSUBSCRIBE mailbox — RFC 3501 §6.3.6, §6.3.7
export const subscribe = defineCommand({
  names: ['SUBSCRIBE', 'UNSUBSCRIBE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args) => (expectArgCount(args, 1), { name: getMailbox(args, 0) }),
  run(ctx, { name }) {
    const folder = mailboxOf(ctx).folders.get(name);
    // Unsubscribing a name that no longer exists must work, or a client could never clean up.
    if (!folder) {
      if (ctx.name === 'UNSUBSCRIBE') return ok('UNSUBSCRIBE completed');
      throw no('No such folder', 'NONEXISTENT');
    }
    ctx.server.store.setSubscribed(folder, ctx.name === 'SUBSCRIBE');
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

// HIGHESTMODSEQ: RFC 7162 §3.1.6; DELETED, DELETED-STORAGE: RFC 9208 §4.2 (STORAGE in units of 1024 octets).
const statusItems = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'DELETED', 'DELETED-STORAGE'] as const;
type StatusItem = (typeof statusItems)[number];

// STATUS mailbox (item ...) — RFC 3501 §6.3.10
export const status = defineCommand({
  names: ['STATUS'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs(args) {
    expectArgCount(args, 2);
    const items = getList(args, 1, 'status items').map((t) => toKeyword(t, 'status item'));
    for (const item of items) if (!(statusItems as readonly string[]).includes(item)) throw no(`Unknown status item ${item.slice(0, 30)}`);
    return { name: getMailbox(args, 0), items: items as StatusItem[] };
  },
  async run(ctx, { name, items }) {
    const folder = folderOf(ctx, name);
    if (items.includes('HIGHESTMODSEQ')) await enableCondstore(ctx);
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
        case 'HIGHESTMODSEQ':
          return folder.highestModseq;
        case 'DELETED':
          return deleted().length;
        case 'DELETED-STORAGE':
          return Math.ceil(deleted().reduce((n, p) => n + p.message.size, 0) / 1024);
      }
    };
    const list = items.map((i) => `${i} ${value(i)}`).join(' ');
    await ctx.session.untagged(`STATUS ${formatMailboxName(folder.name).toString('utf8')} (${list})`);
    return ok('STATUS completed');
  },
});
