import { bad } from '../../imap-error.js';
import type { ViewEntry } from '../../mailbox-view.js';
import { getList } from '../../wire/args.js';
import type { Token } from '../../wire/tokenizer.js';
import { defineCommand, ok, selected } from '../define.js';
import { parseSearch, type SearchKey } from '../search/search-key.js';
import { formatEsearch, savedPart, takeReturnOptions, type ReturnOptions } from '../search/search-return.js';
import { isStable, searchEntries, selectedView } from '../search/search.js';
import { compareKeys } from './base-subject.js';
import type { SortFactsCache } from './sort-facts.js';
import { sortKeys, sortValue, type SortKey } from './sort-keys.js';

interface Criterion {
  key: SortKey;
  isReverse: boolean;
}

/**
 * SORT [RETURN (opts)] (criteria) charset search-key... — RFC 5256 §3; with RETURN, ESORT (RFC 5267): one
 * `* ESEARCH` whose ALL is in sort order and whose MIN/MAX are the first and last in that order (SPEC §17).
 * Ties fall back to sequence order, which REVERSE does not turn round (RFC 5256: REVERSE applies to one key).
 */
export const sort = defineCommand({
  names: ['SORT', 'UID SORT'],
  states: selected,
  usesSequenceNumbers: true,
  parseArgs(args) {
    const { options, rest } = takeReturnOptions(args);
    const criteria = parseCriteria(getList(rest, 0, 'sort criteria'));
    return { options, criteria, key: parseCharsetAndKeys(rest.slice(1)) };
  },
  async run(ctx, { options, criteria, key }) {
    const view = selectedView(ctx);
    const make = (): ViewEntry[] => sortEntries(searchEntries(view, ctx, key), criteria, ctx.session.cache.sortFacts);
    // Kept by the view until its list changes, when the search part does not read flags or the like.
    const sorted = isStable(key) ? view.cached(`sort ${JSON.stringify(criteria)} ${JSON.stringify(key)}`, make) : make();
    // A loop, not map() with an arrow: the first ESORT of 10,000 messages runs it before the JIT has optimised it.
    const numbers = new Array<number>(sorted.length);
    for (let i = 0; i < sorted.length; i++) numbers[i] = ctx.isUid ? sorted[i].placement.uid : sorted[i].seq;
    if (!options) {
      await ctx.session.untagged(numbers.length ? `SORT ${numbers.join(' ')}` : 'SORT');
      return ok(`${ctx.name} completed`);
    }
    if (options.save) {
      const uids = sorted.map((e) => e.placement.uid);
      view.savedUids = savedPart(uids, options, () => uids[0], () => uids[uids.length - 1]).sort((a, b) => a - b);
    }
    if (wantsAnswer(options)) {
      await ctx.session.untagged(formatEsearch(ctx.tag, ctx.isUid, numbers, options, numbers[0], numbers[numbers.length - 1]));
    }
    return ok(`${ctx.name} completed`);
  },
});

function wantsAnswer(o: ReturnOptions): boolean {
  return o.min || o.max || o.all || o.count;
}

function parseCriteria(items: readonly Token[]): Criterion[] {
  if (items.length === 0) throw bad('Empty sort criteria');
  const out: Criterion[] = [];
  let isReverse = false;
  for (const t of items) {
    const name = t.type === 'atom' ? t.value.toUpperCase() : '';
    if (name === 'REVERSE') {
      if (isReverse) throw bad('REVERSE twice in a row');
      isReverse = true;
      continue;
    }
    if (!(sortKeys as readonly string[]).includes(name)) throw bad(`Unknown sort criterion ${name.slice(0, 30) || '(not an atom)'}`);
    out.push({ key: name as SortKey, isReverse });
    isReverse = false;
  }
  if (isReverse) throw bad('REVERSE must be followed by a sort key');
  return out;
}

/** `charset search-key...` (SORT and THREAD name the charset without the CHARSET keyword). */
export function parseCharsetAndKeys(args: readonly Token[]): SearchKey {
  if (args.length === 0) throw bad('Missing charset');
  if (args.length === 1) throw bad('Missing search criteria');
  return parseSearch([{ type: 'atom', value: 'CHARSET' }, ...args]);
}

/** Sorted copy: each message's values are computed once (a comparator must not re-parse headers n log n times). */
export function sortEntries(entries: readonly ViewEntry[], criteria: readonly Criterion[], facts: SortFactsCache): ViewEntry[] {
  if (criteria.length === 1 && numericKeys.has(criteria[0].key)) {
    const values = new Float64Array(entries.length);
    for (let i = 0; i < entries.length; i++) values[i] = sortValue(entries[i].placement, criteria[0].key, facts) as number;
    const sorted = sortByNumber(entries, values, criteria[0].isReverse);
    if (sorted) return sorted;
  }
  const rows = entries.map((entry) => ({ entry, values: criteria.map((c) => sortValue(entry.placement, c.key, facts)) }));
  rows.sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const x = a.values[i];
      const y = b.values[i];
      const d = typeof x === 'number' ? x - (y as number) : compareKeys(x, y as string);
      if (d !== 0) return criteria[i].isReverse ? -d : d;
    }
    return a.entry.seq - b.entry.seq;
  });
  return rows.map((r) => r.entry);
}

const numericKeys = new Set<SortKey>(['ARRIVAL', 'DATE', 'SIZE']);

/**
 * One numeric key (ARRIVAL, DATE, SIZE): the distinct values sorted natively (a Float64Array, no comparator) and
 * the messages of each value in sequence order, which is how ties fall (REVERSE too). The first SORT (DATE) over
 * 10,000 messages made 130,000 comparator calls into code the JIT had not optimised yet. Null for a NaN value
 * (left to the general sort).
 */
function sortByNumber(entries: readonly ViewEntry[], values: Float64Array, isReverse: boolean): ViewEntry[] | null {
  // Each value's first message, and the later ones only where a value repeats (entries are in sequence order).
  const first = new Map<number, number>();
  const more = new Map<number, number[]>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) return null;
    if (!first.has(v)) first.set(v, i);
    else {
      const list = more.get(v);
      if (list) list.push(i);
      else more.set(v, [i]);
    }
  }
  const distinct = Float64Array.from(first.keys()).sort();
  if (isReverse) distinct.reverse();
  const out: ViewEntry[] = [];
  for (const v of distinct) {
    out.push(entries[first.get(v)!]);
    const rest = more.get(v);
    if (rest) for (const i of rest) out.push(entries[i]);
  }
  return out;
}
