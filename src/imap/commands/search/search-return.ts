import { bad } from '../../imap-error.js';
import { formatSequenceSet } from '../../wire/sequence-set.js';
import type { Token } from '../../wire/tokenizer.js';

/** `RETURN (...)` of an extended SEARCH or SORT (RFC 4731 §3.1, RFC 5182 SAVE, RFC 5267 ESORT). */
export interface ReturnOptions {
  min: boolean;
  max: boolean;
  all: boolean;
  count: boolean;
  /** SEARCHRES: remember the result as `$`. */
  save: boolean;
}

const names = ['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE'] as const;

/**
 * Takes a leading `RETURN (opts)` off the arguments. `RETURN ()` means `RETURN (ALL)` (RFC 4731 §3.1).
 * Returns null when there is none (a plain SEARCH/SORT answered the RFC 3501/5256 way).
 */
export function takeReturnOptions(args: readonly Token[]): { options: ReturnOptions | null; rest: readonly Token[] } {
  const first = args[0];
  if (first?.type !== 'atom' || first.value.toUpperCase() !== 'RETURN') return { options: null, rest: args };
  const list = args[1];
  if (list?.type !== 'list') throw bad('RETURN needs a parenthesised list of result options');
  const options: ReturnOptions = { min: false, max: false, all: false, count: false, save: false };
  for (const t of list.items) {
    const name = t.type === 'atom' ? t.value.toUpperCase() : '';
    if (!(names as readonly string[]).includes(name)) throw bad(`Unknown result option ${name.slice(0, 30) || '(not an atom)'}`);
    options[name.toLowerCase() as keyof ReturnOptions] = true;
  }
  if (!options.min && !options.max && !options.count && !options.save) options.all = true;
  return { options, rest: args.slice(2) };
}

/** What `$` keeps (RFC 5182 §2.4): only MIN and/or MAX when those are all that was asked, else everything. */
export function savedPart(found: readonly number[], options: ReturnOptions, minOf: () => number, maxOf: () => number): number[] {
  if (found.length === 0) return [];
  if (options.all || options.count || (!options.min && !options.max)) return [...found];
  const out = new Set<number>();
  if (options.min) out.add(minOf());
  if (options.max) out.add(maxOf());
  return [...out].sort((a, b) => a - b);
}

/**
 * `ESEARCH (TAG "a1") UID MIN 2 MAX 9 COUNT 4 ALL 2:3,9` (RFC 4731 §3.1). `found` is in answer order (ascending
 * for SEARCH, sort order for ESORT); `min`/`max` are passed in because for ESORT they are the first and last in
 * sort order (as Dovecot answers, SPEC §17). No MIN/MAX/ALL when nothing matched; COUNT 0 is still given.
 */
export function formatEsearch(tag: string, isUid: boolean, found: readonly number[], options: ReturnOptions, min: number, max: number): string {
  return esearchLine(tag, isUid, found.length, options, min, max, () => formatSequenceSet(found));
}

/** formatEsearch() for an answer that is every number from `first` to `last` (SEARCH ALL of a folder without gaps). */
export function formatEsearchRange(tag: string, isUid: boolean, first: number, last: number, options: ReturnOptions): string {
  return esearchLine(tag, isUid, last - first + 1, options, first, last, () => (first === last ? String(first) : `${first}:${last}`));
}

function esearchLine(tag: string, isUid: boolean, count: number, options: ReturnOptions, min: number, max: number, set: () => string): string {
  const parts = [`ESEARCH (TAG "${tag}")`];
  if (isUid) parts.push('UID');
  if (count > 0) {
    if (options.min) parts.push(`MIN ${min}`);
    if (options.max) parts.push(`MAX ${max}`);
  }
  if (options.count) parts.push(`COUNT ${count}`);
  if (options.all && count > 0) parts.push(`ALL ${set()}`);
  return parts.join(' ');
}
