import type { FlagMode } from '../../store/message-store.js';
import { bad, no } from '../imap-error.js';
import { formatFlags } from '../wire/encoder.js';
import { getFlagList, getKeyword, getSequenceSet, toFlag, toKeyword } from '../wire/args.js';
import { defineCommand, ok, selected } from './define.js';
import { enableCondstore, isCondstoreOn, toModseq } from '../condstore.js';
import { formatSequenceSet } from '../wire/sequence-set.js';
import type { Token } from '../wire/tokenizer.js';

const modes: Record<string, FlagMode> = { FLAGS: 'set', '+FLAGS': 'add', '-FLAGS': 'remove' };

/**
 * STORE sequence-set [(UNCHANGEDSINCE n)] (FLAGS|+FLAGS|-FLAGS)[.SILENT] (flag-list | flag ...) — RFC 3501 §6.4.6,
 * RFC 7162 §3.1.3. Goes through `store.setFlags`, so `\Seen` reads as read in the API at once and other sessions get
 * FETCH FLAGS. A message changed since UNCHANGEDSINCE is left alone and named in `OK [MODIFIED set]`.
 */
export const store = defineCommand({
  names: ['STORE', 'UID STORE'],
  states: selected,
  usesSequenceNumbers: true,
  parseArgs(args) {
    const unchangedSince = args[1]?.type === 'list' ? parseUnchangedSince(args[1]) : null;
    const rest = unchangedSince === null ? args : [args[0], ...args.slice(2)];
    if (rest.length < 3) throw bad('STORE takes a sequence set, an item and flags');
    const item = getKeyword(rest, 1, 'store item');
    const isSilent = item.endsWith('.SILENT');
    const mode = modes[isSilent ? item.slice(0, -7) : item];
    if (!mode) throw bad(`Unknown store item ${item.slice(0, 30)}`);
    const flags = rest.length === 3 ? getFlagList(rest, 2) : [...new Set(rest.slice(2).map(toFlag))];
    return { set: getSequenceSet(rest, 0), mode, isSilent, flags, unchangedSince };
  },
  async run(ctx, { set, mode, isSilent, flags, unchangedSince }) {
    const view = ctx.session.view;
    if (!view) throw no('No folder selected');
    if (view.isReadOnly) throw no('Folder is read-only', 'READ-ONLY');
    if (unchangedSince !== null) await enableCondstore(ctx);
    const named = view.resolve(set, ctx.isUid);
    const entries = named.filter((e) => !view.isGone(e.placement) && (unchangedSince === null || e.placement.modseq <= unchangedSince));
    const failed = unchangedSince === null ? [] : named.filter((e) => !view.isGone(e.placement) && e.placement.modseq > unchangedSince);
    const changed = new Set(ctx.server.store.setFlags(
      entries.map((e) => e.placement),
      flags,
      mode,
      ctx.session,
    ));
    // Even a .SILENT STORE must announce a new keyword: other FETCHes may show it from now on. The messages'
    // flags, not just those stored: another session may have added a keyword this one has not heard of yet.
    const shown = entries.flatMap((e) => [...e.placement.flags]);
    for (const line of view.announceKeywords(shown)) await ctx.session.untagged(line);
    const withModseq = isCondstoreOn(ctx.session);
    for (const { seq, placement: p } of entries) {
      const uid = ctx.isUid ? `UID ${p.uid} ` : '';
      const modseq = withModseq ? ` MODSEQ (${p.modseq})` : '';
      // With CONDSTORE, even a .SILENT STORE tells the new MODSEQ of what it changed (RFC 7162 §3.1.3 example 3).
      if (!isSilent) await ctx.session.untagged(`${seq} FETCH (${uid}FLAGS ${formatFlags(p.flags, view.recent.has(p))}${modseq})`);
      else if (withModseq && changed.has(p)) await ctx.session.untagged(`${seq} FETCH (${uid}MODSEQ (${p.modseq}))`);
    }
    if (failed.length) {
      const numbers = failed.map((e) => (ctx.isUid ? e.placement.uid : e.seq)).sort((a, b) => a - b);
      return ok('Conditional STORE failed for some messages', `MODIFIED ${formatSequenceSet(numbers)}`);
    }
    // RFC 2180 §4.2.1, as Dovecot answers: a conditional STORE that named an expunged message says so.
    if (unchangedSince !== null && named.some((e) => view.isGone(e.placement))) throw no('Some of the messages were expunged', 'EXPUNGEISSUED');
    return ok(`${ctx.name} completed`);
  },
});

/** `(UNCHANGEDSINCE n)` — the only STORE modifier (RFC 7162 §3.1.3); 0 is allowed and always fails the test. */
function parseUnchangedSince(t: Extract<Token, { type: 'list' }>): number {
  const [name, value] = t.items;
  if (t.items.length !== 2 || toKeyword(name, 'STORE modifier') !== 'UNCHANGEDSINCE') throw bad('STORE modifiers take (UNCHANGEDSINCE modseq)');
  return toModseq(value, 'UNCHANGEDSINCE', true);
}
