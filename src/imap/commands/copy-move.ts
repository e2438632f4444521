import { no } from '../imap-error.js';
import { expectArgCount, getMailbox, getSequenceSet } from '../wire/args.js';
import { formatSequenceSet } from '../wire/sequence-set.js';
import { defineCommand, ok, selected } from './define.js';
import { mailboxOf, storeCall } from './folder-access.js';

/**
 * COPY sequence-set mailbox — RFC 3501 §6.4.7; MOVE — RFC 6851; both with COPYUID (RFC 4315).
 * MOVE sends `* OK [COPYUID ...]` first, then the EXPUNGEs (queued by the store events, flushed by the
 * dispatcher), then the tagged OK, as RFC 6851 §4.3 shows.
 */
export const copy = defineCommand({
  names: ['COPY', 'UID COPY', 'MOVE', 'UID MOVE'],
  states: selected,
  // COPY by sequence number must not see EXPUNGEs; MOVE sends its own (RFC 6851 §3.3).
  usesSequenceNumbers: true,
  parseArgs: (args, ctx) => (expectArgCount(args, 2), { set: getSequenceSet(args, 0), name: getMailbox(args, 1, ctx.session) }),
  async run(ctx, { set, name }) {
    const view = ctx.session.view;
    if (!view) throw no('No folder selected');
    const isMove = ctx.name.endsWith('MOVE');
    if (isMove && view.isReadOnly) throw no('Folder is read-only', 'READ-ONLY');
    const target = mailboxOf(ctx).folders.get(name);
    if (!target) throw no('No such folder; create it first', 'TRYCREATE');
    const { store } = ctx.server;
    const sources = view.resolve(set, ctx.isUid).filter((e) => !view.isGone(e.placement));
    // All or nothing: past the folder's limit the store refuses the whole command (`NO [LIMIT]`).
    const copies = storeCall(() => store.copyPlacements(sources.map((e) => e.placement), target, ctx.session, undefined, isMove));
    const code = copies.length
      ? `COPYUID ${target.uidValidity} ${formatSequenceSet(sources.map((e) => e.placement.uid))} ${formatSequenceSet(copies.map((p) => p.uid))}`
      : null;
    if (!isMove) return ok(`${ctx.name} completed`, code);
    if (code) await ctx.session.untagged(`OK [${code}] Moved`);
    store.removePlacements(sources.map((e) => e.placement), ctx.session);
    await ctx.flushUpdates(true);
    return ok(`${ctx.name} completed`);
  },
});
