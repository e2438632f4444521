import { STATUS_CODES } from 'node:http';
import type { HtmlCompatResult } from '../../checks/html-compat.js';
import type { LinkResult } from '../../checks/link-check.js';
import type { SpamResult } from '../../checks/spamd-client.js';

// Our checks of SPEC §14 in Mailpit's response shapes (HTMLCheckResponse, LinkCheckResponse, SpamAssassinResponse).
// Same data, Mailpit's field names; what has no counterpart (notes, keywords, node counts) is empty or zero.

type Support = 'yes' | 'partial' | 'no';
const percent = (n: number, total: number): number => (total ? Math.round((n / total) * 10000) / 100 : 0);

export function mailpitHtmlCheck(result: HtmlCompatResult) {
  const platforms: Record<string, Set<string>> = {};
  const counts: Record<Support, number> = { yes: 0, partial: 0, no: 0 };
  for (const f of result.features) {
    for (const c of f.clients) {
      (platforms[c.platform] ??= new Set()).add(c.name);
      if (c.support !== 'unknown') counts[c.support]++;
    }
  }
  const tested = counts.yes + counts.partial + counts.no;
  return {
    Platforms: Object.fromEntries(Object.entries(platforms).map(([p, names]) => [p, [...names].sort()])),
    Total: { Nodes: 0, Tests: result.features.length, Supported: percent(counts.yes, tested), Partial: percent(counts.partial, tested), Unsupported: percent(counts.no, tested) },
    Warnings: result.warnings.map((w) => ({
      Slug: w.feature,
      Title: w.title,
      Category: w.category,
      URL: w.url,
      Description: '',
      Keywords: '',
      Tags: [] as string[],
      NotesByNumber: {} as Record<string, string>,
      Results: w.clients
        .filter((c) => c.support !== 'unknown')
        .map((c) => ({ Family: c.name, Name: c.name, Platform: c.platform, Version: '', Support: c.support, NoteNumber: '' })),
      Score: { Found: 1, Supported: w.support.yes, Partial: w.support.partial, Unsupported: w.support.no },
    })),
  };
}

export function mailpitLinkCheck(result: { links: LinkResult[] }) {
  return {
    Errors: result.links.filter((l) => !l.ok).length,
    Links: result.links.map((l) => ({
      URL: l.url,
      StatusCode: l.status ?? 0,
      Status: l.ok ? (STATUS_CODES[l.status ?? 200] ?? 'OK') : (l.error ?? (l.status ? STATUS_CODES[l.status] : undefined) ?? 'error'),
    })),
  };
}

export function mailpitSpamCheck(result: SpamResult | { error: string }) {
  if ('error' in result) return { Error: result.error, IsSpam: false, Score: 0, Rules: [] as Array<{ Name: string; Score: number; Description: string }> };
  return { Error: '', IsSpam: result.isSpam, Score: result.score, Rules: result.rules.map((r) => ({ Name: r.name, Score: r.score, Description: r.description })) };
}
