import { no } from '../../imap-error.js';
import { defineCommand, ok, selected } from '../define.js';
import { matches, type SearchScope } from './evaluate.js';
import { parseSearch, usesModseq } from './search-key.js';
import { enableCondstore } from '../../condstore.js';

/**
 * SEARCH [CHARSET charset] search-key... — RFC 3501 §6.4.4; UID SEARCH returns UIDs (§6.4.8).
 * Messages expunged by others but not yet announced are still searched: their sequence numbers are valid.
 */
export const search = defineCommand({
  names: ['SEARCH', 'UID SEARCH'],
  states: selected,
  usesSequenceNumbers: true,
  parseArgs: (args) => ({ key: parseSearch(args) }),
  async run(ctx, { key }) {
    const view = ctx.session.view;
    if (!view) throw no('No folder selected');
    const entries = view.entries();
    const last = entries[entries.length - 1];
    const scope: SearchScope = { view, mime: ctx.session.mime, maxSeq: entries.length, maxUid: last ? last.placement.uid : 0 };
    const found: number[] = [];
    const withModseq = usesModseq(key);
    if (withModseq) await enableCondstore(ctx);
    let highest = 0;
    for (const e of entries) {
      if (!matches(key, e, scope)) continue;
      found.push(ctx.isUid ? e.placement.uid : e.seq);
      if (e.placement.modseq > highest) highest = e.placement.modseq;
    }
    const modseq = withModseq && found.length ? ` (MODSEQ ${highest})` : '';
    await ctx.session.untagged(found.length ? `SEARCH ${found.join(' ')}${modseq}` : 'SEARCH');
    return ok(`${ctx.name} completed`);
  },
});
