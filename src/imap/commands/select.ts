import { MailboxView } from '../mailbox-view.js';
import { no } from '../imap-error.js';
import { expectArgCount, getMailbox, getSequenceSet } from '../wire/args.js';
import type { SequenceSet } from '../wire/sequence-set.js';
import { authenticated, defineCommand, noArgs, ok, selected, type CommandContext } from './define.js';
import { folderOf } from './folder-access.js';

// SELECT mailbox / EXAMINE mailbox — RFC 3501 §6.3.1, §6.3.2. A failed SELECT leaves nothing selected.
export const select = defineCommand({
  names: ['SELECT', 'EXAMINE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args) => (expectArgCount(args, 1), { name: getMailbox(args, 0) }),
  async run(ctx, { name }) {
    ctx.session.deselect();
    const folder = folderOf(ctx, name);
    const isReadOnly = ctx.name === 'EXAMINE';
    const view = new MailboxView(ctx.server.store, folder, isReadOnly, ctx.session, () => ctx.onViewUpdate());
    ctx.session.selectView(view);
    const s = ctx.session;
    for (const line of view.flagsLines()) await s.untagged(line);
    await s.untagged(`${view.exists} EXISTS`);
    await s.untagged(`${view.recent.size} RECENT`);
    const firstUnseen = view.entries().find((e) => !e.placement.flags.has('\\Seen'));
    if (firstUnseen) await s.untagged(`OK [UNSEEN ${firstUnseen.seq}] First unseen`);
    await s.untagged(`OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid`);
    await s.untagged(`OK [UIDNEXT ${folder.uidNext}] Predicted next UID`);
    return ok(`${ctx.name} completed`, isReadOnly ? 'READ-ONLY' : 'READ-WRITE');
  },
});

// CLOSE — RFC 3501 §6.4.2: expunges \Deleted silently (no untagged EXPUNGE) unless read-only, then deselects.
export const close = defineCommand({
  names: ['CLOSE'],
  states: selected,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  run(ctx) {
    const view = ctx.session.view;
    ctx.session.deselect();
    if (view && !view.isReadOnly) {
      // Deselected first, so the store's removal events reach no view of this session: no untagged EXPUNGE.
      const deleted = view.entries().filter((e) => e.placement.flags.has('\\Deleted') && !view.isGone(e.placement));
      ctx.server.store.removePlacements(deleted.map((e) => e.placement), ctx.session);
    }
    return ok('CLOSE completed');
  },
});

// UNSELECT — RFC 3691: like CLOSE without the expunge.
export const unselect = defineCommand({
  names: ['UNSELECT'],
  states: selected,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  run(ctx) {
    ctx.session.deselect();
    return ok('UNSELECT completed');
  },
});

// EXPUNGE — RFC 3501 §6.4.3; UID EXPUNGE sequence-set — RFC 4315 §2.1 (only the named \Deleted messages).
// The untagged EXPUNGEs come from the view's queue, flushed by the dispatcher before the tagged OK.
export const expunge = defineCommand({
  names: ['EXPUNGE', 'UID EXPUNGE'],
  states: selected,
  usesSequenceNumbers: false,
  parseArgs: (args, ctx) => {
    expectArgCount(args, ctx.isUid ? 1 : 0);
    return { set: ctx.isUid ? getSequenceSet(args, 0) : null };
  },
  run(ctx, { set }) {
    expungeDeleted(ctx, set);
    return ok(`${ctx.name} completed`);
  },
});

function expungeDeleted(ctx: CommandContext, set: SequenceSet | null): void {
  const view = ctx.session.view;
  if (!view) return;
  if (view.isReadOnly) throw no('Folder is read-only', 'READ-ONLY');
  const entries = set ? view.resolve(set, true) : view.entries();
  const deleted = entries.filter((e) => e.placement.flags.has('\\Deleted') && !view.isGone(e.placement));
  ctx.server.store.removePlacements(deleted.map((e) => e.placement), ctx.session);
}

// CHECK — RFC 3501 §6.4.1: nothing to checkpoint in memory; like NOOP it lets queued updates through.
export const check = defineCommand({
  names: ['CHECK'],
  states: selected,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  run: () => ok('CHECK completed'),
});
