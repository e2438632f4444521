import type { FlagMode } from '../../store/message-store.js';
import { bad, no } from '../imap-error.js';
import { formatFlags } from '../wire/encoder.js';
import { getFlagList, getKeyword, getSequenceSet, toFlag } from '../wire/args.js';
import { defineCommand, ok, selected } from './define.js';

const modes: Record<string, FlagMode> = { FLAGS: 'set', '+FLAGS': 'add', '-FLAGS': 'remove' };

/**
 * STORE sequence-set (FLAGS|+FLAGS|-FLAGS)[.SILENT] (flag-list | flag ...) — RFC 3501 §6.4.6.
 * Goes through `store.setFlags`, so `\Seen` reads as read in the API at once and other sessions get FETCH FLAGS.
 */
export const store = defineCommand({
  names: ['STORE', 'UID STORE'],
  states: selected,
  usesSequenceNumbers: true,
  parseArgs(args) {
    if (args.length < 3) throw bad('STORE takes a sequence set, an item and flags');
    const item = getKeyword(args, 1, 'store item');
    const isSilent = item.endsWith('.SILENT');
    const mode = modes[isSilent ? item.slice(0, -7) : item];
    if (!mode) throw bad(`Unknown store item ${item.slice(0, 30)}`);
    const flags = args.length === 3 ? getFlagList(args, 2) : [...new Set(args.slice(2).map(toFlag))];
    return { set: getSequenceSet(args, 0), mode, isSilent, flags };
  },
  async run(ctx, { set, mode, isSilent, flags }) {
    const view = ctx.session.view;
    if (!view) throw no('No folder selected');
    if (view.isReadOnly) throw no('Folder is read-only', 'READ-ONLY');
    const entries = view.resolve(set, ctx.isUid).filter((e) => !view.isGone(e.placement));
    ctx.server.store.setFlags(
      entries.map((e) => e.placement),
      flags,
      mode,
      ctx.session,
    );
    // Even a .SILENT STORE must announce a new keyword: other FETCHes may show it from now on. The messages'
    // flags, not just those stored: another session may have added a keyword this one has not heard of yet.
    const shown = entries.flatMap((e) => [...e.placement.flags]);
    for (const line of view.announceKeywords(shown)) await ctx.session.untagged(line);
    if (!isSilent) {
      for (const { seq, placement: p } of entries) {
        const uid = ctx.isUid ? `UID ${p.uid} ` : '';
        await ctx.session.untagged(`${seq} FETCH (${uid}FLAGS ${formatFlags(p.flags, view.recent.has(p))})`);
      }
    }
    return ok(`${ctx.name} completed`);
  },
});
