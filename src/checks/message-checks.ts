import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
import type { SandboxConfig } from '../config.js';
import type { MessageDetailsCache } from '../mime/message-details.js';
import type { StoredMessage } from '../store/types.js';
import { checkAccessibility } from './accessibility.js';
import type { AccessibilityResult } from './accessibility.js';
import { checkAuth } from './auth-check.js';
import type { AuthCheckResult } from './auth-check.js';
import { parseZoneFile, zoneResolver } from './dns-zone.js';
import type { ZoneRecords } from './dns-zone.js';
import { checkHtmlCompat } from './html-compat.js';
import type { HtmlCompatResult } from './html-compat.js';
import { parseHtmlDocument } from './html-document.js';
import type { HtmlDocument } from './html-document.js';
import { checkLinks, systemResolve } from './link-check.js';
import type { LinkResult } from './link-check.js';
import { checkSpam } from './spamd-client.js';
import type { SpamResult } from './spamd-client.js';
import { parseMimeTree } from '../mime/mime-tree.js';
import type { MimeNode } from '../mime/mime-tree.js';

export type CheckName = 'html' | 'accessibility' | 'auth' | 'spam' | 'links';
export const checkNames: readonly CheckName[] = ['html', 'accessibility', 'auth', 'spam', 'links'];

export interface CheckResults {
  html: HtmlCompatResult;
  accessibility: AccessibilityResult;
  auth: AuthCheckResult;
  spam: SpamResult;
  links: { links: LinkResult[] };
}

/** Every check's result, or for a check that is not configured or failed, its error (and the flag that turns it on). */
export type ChecksReport = { [K in CheckName]: CheckResults[K] | { error: { code: 'not_configured' | 'check_failed'; message: string; flag?: string } } };

/** Asked for a check the sandbox was not started with; `flag` is the CLI flag that turns it on. */
export class CheckNotConfiguredError extends Error {
  constructor(
    readonly check: CheckName,
    readonly flag: string,
  ) {
    super(`The ${check} check is not configured: start the sandbox with ${flag}`);
    this.name = 'CheckNotConfiguredError';
  }
}

/** Messages whose results are kept; results are small, but a flood of mail must not grow memory without bound. */
const cachedMessages = 500;

/**
 * Runs the checks of SPEC §14 for stored messages and caches each result per message (promises are cached, so two
 * concurrent requests for the same check share one run). A failed run is not cached: the next request retries.
 */
export class MessageChecks {
  readonly #cache = new Map<string, Map<CheckName, Promise<unknown>>>();
  readonly #docs = new Map<string, HtmlDocument | null>();
  readonly #zone: ZoneRecords | null;
  readonly #resolveTxt;

  constructor(
    readonly config: SandboxConfig,
    private readonly details: MessageDetailsCache,
  ) {
    this.#zone = config.checks.dnsZone ? loadZone(config.checks.dnsZone) : null;
    this.#resolveTxt = zoneResolver(this.#zone);
  }

  /** Whether `check` can run here, or the flag it needs. */
  flagNeeded(check: CheckName): string | null {
    if (check === 'spam' && !this.config.checks.spamd) return '--spamd host:port';
    if (check === 'links' && !this.config.checks.linkCheck) return '--link-check';
    return null;
  }

  run<K extends CheckName>(check: K, m: StoredMessage): Promise<CheckResults[K]> {
    const flag = this.flagNeeded(check);
    if (flag) return Promise.reject(new CheckNotConfiguredError(check, flag));
    let perMessage = this.#cache.get(m.id);
    if (!perMessage) {
      if (this.#cache.size >= cachedMessages) this.delete(this.#cache.keys().next().value as string);
      this.#cache.set(m.id, (perMessage = new Map()));
    }
    const cached = perMessage.get(check);
    if (cached) return cached as Promise<CheckResults[K]>;
    const p = this.#compute(check, m) as Promise<CheckResults[K]>;
    perMessage.set(check, p);
    p.catch(() => perMessage.delete(check));
    return p;
  }

  /** Every configured check; the ones not configured are `{ error: { code: 'not_configured', flag } }`. */
  async all(m: StoredMessage): Promise<ChecksReport> {
    const entries = await Promise.all(
      checkNames.map(async (name) => {
        try {
          return [name, await this.run(name, m)] as const;
        } catch (err) {
          if (err instanceof CheckNotConfiguredError) return [name, { error: { code: 'not_configured', message: err.message, flag: err.flag } }] as const;
          return [name, { error: { code: 'check_failed', message: (err as Error).message } }] as const;
        }
      }),
    );
    return Object.fromEntries(entries) as ChecksReport;
  }

  delete(id: string): void {
    this.#cache.delete(id);
    this.#docs.delete(id);
  }

  clear(): void {
    this.#cache.clear();
    this.#docs.clear();
  }

  async #compute(check: CheckName, m: StoredMessage): Promise<unknown> {
    switch (check) {
      case 'html':
        return checkHtmlCompat(await this.#doc(m));
      case 'accessibility':
        return checkAccessibility({ doc: await this.#doc(m), hasTextPart: hasTextPart(parseMimeTree(m.raw)) });
      case 'auth':
        return checkAuth(m, this.#resolveTxt as never);
      case 'spam':
        return checkSpam(m.raw, this.config.checks.spamd!);
      case 'links':
        return checkLinks(await this.#urls(m), { allowPrivate: this.config.checks.linkCheckPrivate, resolve: (h) => this.#resolveHost(h) });
    }
  }

  async #doc(m: StoredMessage): Promise<HtmlDocument> {
    let doc = this.#docs.get(m.id);
    if (!doc) {
      const d = await this.details.get(m.id, m.raw, m.summary.subject);
      doc = parseHtmlDocument(d.html ?? '');
      this.#docs.set(m.id, doc);
    }
    return doc;
  }

  async #urls(m: StoredMessage): Promise<string[]> {
    const doc = await this.#doc(m);
    const urls: string[] = [];
    for (const el of doc.elements) {
      const u = el.tag === 'a' ? el.attrs.get('href') : el.tag === 'img' ? el.attrs.get('src') : undefined;
      if (u && /^https?:/i.test(u.trim())) urls.push(u.trim());
    }
    const d = await this.details.get(m.id, m.raw, m.summary.subject);
    // With HTML, mailparser's text may be made from it (URLs in brackets): the HTML's own links are the truth.
    if (d.html !== null) return urls;
    for (const u of (d.text ?? '').match(/https?:\/\/[^\s<>"')\]]+/gi) ?? []) urls.push(u);
    return urls;
  }

  /** Names in the `--dns-zone` file answer from it (so tests can point a name at 10.0.0.1); others ask the system. */
  async #resolveHost(host: string): Promise<string[]> {
    const key = host.toLowerCase().replace(/\.$/, '');
    const byType = this.#zone?.records.get(key);
    if (byType) return [...(byType.get('A') ?? []), ...(byType.get('AAAA') ?? [])] as string[];
    return systemResolve(host);
  }
}

/** A text/plain body that is not an attachment (mailparser's `text` would be made from the HTML when there is none). */
function hasTextPart(node: MimeNode): boolean {
  if (node.type === 'text' && node.subtype === 'plain' && node.disposition?.type !== 'attachment') return true;
  return node.children.some(hasTextPart);
}

/** A zone file that cannot be read or parsed is bad configuration: the sandbox does not start. */
function loadZone(file: string): ZoneRecords {
  try {
    return parseZoneFile(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`dns zone ${file}: ${(err as Error).message}`]);
  }
}
