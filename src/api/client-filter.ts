import type { MessageFilter, TextMatch } from '../store/query.js';
import type { Address, MessageDetails, MessageSummary } from './types.js';

/** What the client checks itself: `precheck` on a summary (cheap, necessary), then `residual` on the full message. */
export interface SplitFilter {
  params: Record<string, string>;
  residual?: (d: MessageDetails) => boolean;
  /** Rules a summary out without fetching the message: a RegExp subject is decided by the summary alone. */
  precheck?: (s: MessageSummary) => boolean;
}

/**
 * Splits a filter for the HTTP client: what the server can match exactly becomes `query`/`mailbox` parameters;
 * the rest (RegExps, body text, values the query language can't quote) is a check run here on full messages.
 * The server side is always a superset of the final answer, never narrower.
 */
export function splitFilter(filter: MessageFilter): SplitFilter {
  const terms: string[] = filter.query ? [filter.query] : [];
  const local: Array<(d: MessageDetails) => boolean> = [];
  const fields: Array<[key: 'from' | 'to' | 'subject', value: TextMatch | undefined, candidates: (d: MessageDetails) => string[]]> = [
    ['from', filter.from, fromCandidates],
    ['to', filter.to, toCandidates],
    ['subject', filter.subject, (d) => [d.subject]],
  ];
  for (const [key, value, candidates] of fields) {
    if (value === undefined) continue;
    if (typeof value === 'string' && !value.includes('"')) terms.push(`${key}:"${value}"`);
    else local.push((d) => matches(value, candidates(d)));
  }
  if (filter.text !== undefined) {
    // A bare word matches subject/from/to/body on the server: narrower than nothing, wider than `text`.
    if (typeof filter.text === 'string' && !filter.text.includes('"')) terms.push(`"${filter.text}"`);
    const text = filter.text;
    local.push((d) => matches(text, [d.text ?? '', d.html ?? '']));
  }
  if (filter.tag !== undefined) {
    const tag = filter.tag.trim();
    if (!tag.includes('"')) terms.push(`tag:"${tag}"`);
    else local.push((d) => d.tags.some((t) => t.toLowerCase() === tag.toLowerCase()));
  }
  const params: Record<string, string> = {};
  if (terms.length) params.query = terms.join(' ');
  if (filter.mailbox) params.mailbox = filter.mailbox;
  const subject = filter.subject;
  const precheck = subject !== undefined && typeof subject !== 'string' ? (s: MessageSummary) => matches(subject, [s.subject]) : undefined;
  return { params, residual: local.length ? (d) => local.every((check) => check(d)) : undefined, precheck };
}

function matches(match: TextMatch, candidates: string[]): boolean {
  if (typeof match === 'string') {
    const needle = match.toLowerCase();
    return candidates.some((c) => c.toLowerCase().includes(needle));
  }
  return candidates.some((c) => {
    match.lastIndex = 0;
    return match.test(c);
  });
}

function addressStrings(a: Address): string[] {
  return a.name ? [a.address, a.name, `${a.name} <${a.address}>`] : [a.address];
}

function fromCandidates(d: MessageDetails): string[] {
  const out = d.from ? addressStrings(d.from) : [];
  if (d.envelope.mailFrom) out.push(d.envelope.mailFrom);
  return out;
}

function toCandidates(d: MessageDetails): string[] {
  return [...d.to.flatMap(addressStrings), ...d.cc.flatMap(addressStrings), ...d.envelope.rcptTo];
}

/** `{ to: "ann@example.test", subject: /reset/i }` for error messages. */
export function describeFilter(filter: MessageFilter): string {
  const parts = Object.entries(filter)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v instanceof RegExp ? v.toString() : JSON.stringify(v)}`);
  return parts.length ? `{ ${parts.join(', ')} }` : 'any message';
}
