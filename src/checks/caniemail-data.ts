import { createRequire } from 'node:module';

/**
 * caniemail.com's feature data as shipped by the `caniemail` npm package (MIT, data refreshed with each release).
 * Only its JSON is used: the package's own code targets Node 22, the data has no engine.
 */
export interface CaniemailFeature {
  slug: string;
  title: string;
  category: 'html' | 'css' | 'image' | 'others';
  url: string;
  /** family -> platform -> version -> `y` | `a` | `n` | `u`, optionally followed by ` #note`. */
  stats: Record<string, Record<string, Record<string, string>>>;
}

interface CaniemailJson {
  last_update_date: string;
  nicenames: { family: Record<string, string>; platform: Record<string, string> };
  data: CaniemailFeature[];
}

export type Support = 'yes' | 'partial' | 'no' | 'unknown';

export interface ClientSupport {
  family: string;
  name: string;
  platform: string;
  support: Support;
}

export interface CaniemailIndex {
  readonly updated: string;
  readonly bySlug: ReadonlyMap<string, CaniemailFeature>;
  /** CSS property name (from slugs and titles) -> the slug that describes it. */
  readonly cssProperty: ReadonlyMap<string, string>;
  /** Per slug: each client's support in its most recent test. */
  clientsOf(slug: string): ClientSupport[];
}

let loaded: CaniemailIndex | undefined;

/** Loaded once per process: it is read-only reference data, not sandbox state. */
export function caniemailIndex(): CaniemailIndex {
  loaded ??= buildIndex(createRequire(import.meta.url)('caniemail/caniemail.json') as CaniemailJson);
  return loaded;
}

function buildIndex(json: CaniemailJson): CaniemailIndex {
  const bySlug = new Map(json.data.map((f) => [f.slug, f]));
  const cssProperty = new Map<string, string>();
  for (const f of json.data) {
    if (f.category !== 'css') continue;
    for (const token of f.title.split(/[\s&,]+/)) if (/^[a-z][a-z-]+$/.test(token) && !cssProperty.has(token)) cssProperty.set(token, f.slug);
  }
  for (const f of json.data) if (f.category === 'css') cssProperty.set(f.slug.slice(4), f.slug);
  const clients = new Map<string, ClientSupport[]>();
  const clientsOf = (slug: string): ClientSupport[] => {
    let list = clients.get(slug);
    if (list) return list;
    list = [];
    for (const [family, platforms] of Object.entries(bySlug.get(slug)?.stats ?? {})) {
      for (const [platform, versions] of Object.entries(platforms)) {
        // Versions are listed oldest first; the newest test is what a reader's client does today.
        const latest = Object.values(versions).at(-1) ?? 'u';
        list.push({ family, name: json.nicenames.family[family] ?? family, platform: json.nicenames.platform[platform] ?? platform, support: toSupport(latest) });
      }
    }
    clients.set(slug, list);
    return list;
  };
  return { updated: json.last_update_date, bySlug, cssProperty, clientsOf };
}

function toSupport(v: string): Support {
  switch (v.trim()[0]) {
    case 'y':
      return 'yes';
    case 'a':
      return 'partial';
    case 'n':
      return 'no';
    default:
      return 'unknown';
  }
}
