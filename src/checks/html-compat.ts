import { caniemailIndex } from './caniemail-data.js';
import type { ClientSupport, Support } from './caniemail-data.js';
import { detectFeatures } from './html-features.js';
import type { HtmlDocument } from './html-document.js';

export interface HtmlFeatureReport {
  feature: string;
  title: string;
  category: 'html' | 'css' | 'image' | 'others';
  url: string;
  /** Percent of tested clients (family × platform) with full, partial and no support; unknowns left out. */
  support: { yes: number; partial: number; no: number };
  clients: Array<{ name: string; platform: string; support: Support }>;
  /** Document-order index of the first element using it, or null when it comes from a `<style>` block. */
  element: number | null;
}

export interface HtmlCompatResult {
  /** 0-100: the market-share-weighted share of support over every feature used (see README "Checks"). */
  score: number;
  /** Every feature used that some client supports only partly or not at all. */
  warnings: HtmlFeatureReport[];
  /** Every feature used, supported everywhere or not. */
  features: HtmlFeatureReport[];
  /** The date of the caniemail data. */
  dataUpdated: string;
}

/**
 * Approximate share of opens per client family (rounded from public email-client market-share reports, which
 * count Apple Mail's privacy-protection opens high). A family's weight is split evenly over its platforms; a family
 * not listed weighs 0.5.
 */
export const familyWeights: Readonly<Record<string, number>> = {
  'apple-mail': 50,
  gmail: 30,
  outlook: 8,
  yahoo: 3,
  'samsung-email': 1.5,
  thunderbird: 1,
  aol: 1,
};
const otherFamilyWeight = 0.5;
const supportValue: Record<Support, number | null> = { yes: 1, partial: 0.5, no: 0, unknown: null };

export function checkHtmlCompat(doc: HtmlDocument): HtmlCompatResult {
  const data = caniemailIndex();
  const features: HtmlFeatureReport[] = [];
  for (const [slug, element] of detectFeatures(doc, data)) {
    const f = data.bySlug.get(slug);
    if (!f) continue;
    const clients = data.clientsOf(slug);
    features.push({
      feature: slug,
      title: f.title,
      category: f.category,
      url: f.url,
      support: shares(clients),
      clients: clients.map(({ name, platform, support }) => ({ name, platform, support })),
      element,
    });
  }
  const warnings = features.filter((f) => f.support.partial > 0 || f.support.no > 0);
  return { score: weightedScore(features.map((f) => data.clientsOf(f.feature))), warnings, features, dataUpdated: data.updated };
}

function shares(clients: ClientSupport[]): HtmlFeatureReport['support'] {
  const known = clients.filter((c) => c.support !== 'unknown');
  const pct = (s: Support): number => (known.length ? Math.round((known.filter((c) => c.support === s).length / known.length) * 1000) / 10 : 0);
  return { yes: pct('yes'), partial: pct('partial'), no: pct('no') };
}

/** Σ over features and clients of weight × support (1, ½, 0), over Σ of the weights that had a known result. */
function weightedScore(perFeature: ClientSupport[][]): number {
  let got = 0;
  let total = 0;
  for (const clients of perFeature) {
    const platforms = new Map<string, number>();
    for (const c of clients) platforms.set(c.family, (platforms.get(c.family) ?? 0) + 1);
    for (const c of clients) {
      const v = supportValue[c.support];
      if (v === null) continue;
      const w = (familyWeights[c.family] ?? otherFamilyWeight) / (platforms.get(c.family) ?? 1);
      got += w * v;
      total += w;
    }
  }
  return total === 0 ? 100 : Math.round((got / total) * 100);
}
