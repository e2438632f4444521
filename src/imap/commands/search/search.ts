import { bad, no } from '../../imap-error.js';
import { isRev2, rev1OnlySearchOps } from '../../rev2.js';
import type { MailboxView, ViewEntry } from '../../mailbox-view.js';
import type { Token } from '../../wire/tokenizer.js';
import { defineCommand, ok, selected, type CommandContext } from '../define.js';
import { filterByHeaderKey, matches, type SearchScope } from './evaluate.js';
import { parseSearch, usesModseq, type SearchKey } from './search-key.js';
import { enableCondstore } from '../../condstore.js';
import { isSavedResult } from '../../wire/sequence-set.js';
import { formatEsearch, formatEsearchRange, savedPart, takeReturnOptions, type ReturnOptions } from './search-return.js';

/**
 * SEARCH [RETURN (opts)] [CHARSET charset] search-key... — RFC 3501 §6.4.4; UID SEARCH returns UIDs (§6.4.8).
 * With RETURN the answer is one `* ESEARCH` (RFC 4731) and SAVE keeps the result as `$` (RFC 5182).
 * Messages expunged by others but not yet announced are still searched: their sequence numbers are valid.
 */
export const search = defineCommand({
  names: ['SEARCH', 'UID SEARCH'],
  states: selected,
  usesSequenceNumbers: true,
  parseArgs: (args, ctx) => parseWithReturn(args, ctx),
  async run(ctx, { key, options: returnOptions }) {
    const view = selectedView(ctx);
    // RFC 9051 §6.4.4: IMAP4rev2 answers every SEARCH with ESEARCH; no RETURN reads as RETURN (ALL).
    const options = returnOptions ?? (isRev2(ctx.enabled) ? rev2DefaultReturn : null);
    const everything = key.op === 'all' && options && !options.save ? esearchOfAll(ctx, view, options) : null;
    if (everything !== null) {
      await ctx.session.untagged(everything);
      return ok(`${ctx.name} completed`);
    }
    const withModseq = usesModseq(key);
    if (withModseq) await enableCondstore(ctx);
    const entries = searchEntries(view, ctx, key);
    const numbers = entries.map((e) => (ctx.isUid ? e.placement.uid : e.seq));
    // RFC 7162 §3.1.5: a search with MODSEQ answers the highest mod-sequence of the messages found.
    let highest = 0;
    if (withModseq) for (const e of entries) if (e.placement.modseq > highest) highest = e.placement.modseq;
    const modseq = withModseq && numbers.length ? ` (MODSEQ ${highest})` : '';
    if (!options) {
      await ctx.session.untagged(numbers.length ? `SEARCH ${numbers.join(' ')}${modseq}` : 'SEARCH');
      return ok(`${ctx.name} completed`);
    }
    if (options.save) {
      const uids = entries.map((e) => e.placement.uid);
      view.savedUids = savedPart(uids, options, () => uids[0], () => uids[uids.length - 1]);
    }
    // RFC 5182 §2.1: RETURN (SAVE) alone answers with no ESEARCH at all.
    if (options.min || options.max || options.all || options.count) {
      const esearch = formatEsearch(ctx.tag, ctx.isUid, numbers, options, numbers[0], numbers[numbers.length - 1]);
      // RFC 7162 §3.1.5 / RFC 4731: ESEARCH carries `MODSEQ n` as one more return datum.
      // With only MIN and/or MAX it is the highest of the messages returned; with ALL or COUNT, of all that matched.
      let returned = highest;
      if (withModseq && !options.all && !options.count && entries.length) {
        const first = entries[0].placement.modseq;
        const last = entries[entries.length - 1].placement.modseq;
        returned = options.min && options.max ? Math.max(first, last) : options.min ? first : last;
      }
      await ctx.session.untagged(withModseq && numbers.length ? `${esearch} MODSEQ ${returned}` : esearch);
    }
    return ok(`${ctx.name} completed`);
  },
});

/**
 * `[RETURN (...)] [CHARSET x] keys` for SEARCH and the tail of SORT/THREAD. A SAVE whose search fails leaves `$`
 * empty (RFC 5182 §2.1), so a pipelined `FETCH $` can't act on an old result.
 */
export function parseWithReturn(args: readonly Token[], ctx: CommandContext): { key: SearchKey; options: ReturnOptions | null } {
  let options: ReturnOptions | null = null;
  try {
    const taken = takeReturnOptions(args);
    options = taken.options;
    // RFC 6855 §3: after ENABLE UTF8=ACCEPT strings are UTF-8, so a CHARSET label conflicts with it.
    const first = taken.rest[0];
    if (ctx.session.enabled.has('UTF8=ACCEPT') && first?.type === 'atom' && first.value.toUpperCase() === 'CHARSET') throw bad('No CHARSET after ENABLE UTF8=ACCEPT (RFC 6855 section 3)');
    const key = parseSearch(taken.rest);
    if (isRev2(ctx.enabled) && usesRev1OnlyKey(key)) throw bad('NEW, OLD and RECENT are not search keys in IMAP4rev2');
    return { key, options };
  } catch (err) {
    if (options?.save && ctx.session.view) ctx.session.view.savedUids = [];
    throw err;
  }
}

/**
 * The ESEARCH answer to `ALL` without going through every message: the answer is every sequence number, and every
 * UID when the last minus the first is the count less one (UIDs ascend with sequence numbers). Null when the UIDs
 * have gaps (the answer then lists ranges, made the general way).
 */
function esearchOfAll(ctx: CommandContext, view: MailboxView, options: ReturnOptions): string | null {
  const n = view.exists;
  if (n === 0) return formatEsearch(ctx.tag, ctx.isUid, [], options, 0, 0);
  const first = ctx.isUid ? view.placementAt(0).uid : 1;
  const last = ctx.isUid ? view.placementAt(n - 1).uid : n;
  return last - first === n - 1 ? formatEsearchRange(ctx.tag, ctx.isUid, first, last, options) : null;
}

const rev2DefaultReturn: ReturnOptions = { min: false, max: false, all: true, count: false, save: false };

/** True when the key uses \\Recent (RECENT, NEW, OLD), which IMAP4rev2 removed (RFC 9051 Appendix E). */
function usesRev1OnlyKey(key: SearchKey): boolean {
  switch (key.op) {
    case 'and':
      return key.keys.some(usesRev1OnlyKey);
    case 'or':
      return usesRev1OnlyKey(key.left) || usesRev1OnlyKey(key.right);
    case 'not':
      return usesRev1OnlyKey(key.key);
    default:
      return rev1OnlySearchOps.has(key.op);
  }
}

export function selectedView(ctx: CommandContext): MailboxView {
  const view = ctx.session.view;
  if (!view) throw no('No folder selected');
  return view;
}

/** The messages matching `key`, in sequence order (kept by the view when the answer can only change with the list). */
export function searchEntries(view: MailboxView, ctx: CommandContext, key: SearchKey): readonly ViewEntry[] {
  const entries = view.entries();
  // `ALL` (SORT/THREAD ALL, ESEARCH COUNT ALL) needs no evaluation per message.
  if (key.op === 'all') return entries;
  const run = (): ViewEntry[] => {
    const last = entries[entries.length - 1];
    const scope: SearchScope = {
      view,
      mime: ctx.session.mime,
      headers: ctx.session.cache.headers,
      maxSeq: entries.length,
      maxUid: last ? last.placement.uid : 0,
      saved: new Set(view.savedUids),
      now: Date.now(),
      probes: new Map(),
    };
    if (key.op === 'header' || key.op === 'address') return filterByHeaderKey(entries, key, scope);
    return entries.filter((e) => matches(key, e, scope));
  };
  return isStable(key) ? view.cached(`search ${JSON.stringify(key)}`, run) : run();
}

/**
 * True when the answer depends only on the messages (immutable) and their sequence numbers/UIDs: no flags,
 * \Recent, MODSEQ, `$` or time (WITHIN). Such an answer can be kept until the view's list changes.
 */
export function isStable(key: SearchKey): boolean {
  switch (key.op) {
    case 'and':
      return key.keys.every(isStable);
    case 'or':
      return isStable(key.left) && isStable(key.right);
    case 'not':
      return isStable(key.key);
    case 'flag':
    case 'recent':
    case 'new':
    case 'modseq':
    case 'age':
      return false;
    case 'seq':
    case 'uid':
      return !isSavedResult(key.set);
    default:
      return true;
  }
}
