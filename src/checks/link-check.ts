import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isPrivateAddress } from './address-policy.js';

export interface LinkResult {
  url: string;
  status: number | null;
  finalUrl: string | null;
  ok: boolean;
  /** Refused before any request: a private/loopback target (or a redirect to one) without `--link-check-private`. */
  blocked: boolean;
  error: string | null;
}

export interface LinkCheckOptions {
  allowPrivate: boolean;
  /** Resolves a host name to addresses; the zone's A/AAAA records first, then the system resolver. */
  resolve(host: string): Promise<string[]>;
  timeoutMs?: number;
  maxRedirects?: number;
  /** Requests in flight at once, across the message's links. */
  concurrency?: number;
  /** Links checked per message at most. */
  maxLinks?: number;
  /** The refusal rule; {@link isPrivateAddress} unless a test narrows it. */
  isBlocked?: (ip: string) => boolean;
}

/** Checks every URL: HEAD, then GET when HEAD is refused; redirects followed by hand so each hop is vetted. */
export async function checkLinks(urls: string[], opts: LinkCheckOptions): Promise<{ links: LinkResult[] }> {
  const list = [...new Set(urls)].slice(0, opts.maxLinks ?? 200);
  const results: LinkResult[] = new Array(list.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      const i = next++;
      results[i] = await checkOne(list[i], opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, list.length) }, worker));
  return { links: results };
}

async function checkOne(url: string, opts: LinkCheckOptions): Promise<LinkResult> {
  let current = url;
  for (let hop = 0; hop <= (opts.maxRedirects ?? 5); hop++) {
    const target = await vet(current, opts);
    if ('blocked' in target) return { url, status: null, finalUrl: current, ok: false, blocked: target.blocked, error: target.error };
    let res: { status: number; location?: string };
    try {
      res = await request(target.url, target.address, 'HEAD', opts.timeoutMs ?? 5000);
      if (res.status === 405 || res.status === 501 || res.status === 403) res = await request(target.url, target.address, 'GET', opts.timeoutMs ?? 5000);
    } catch (err) {
      return { url, status: null, finalUrl: current, ok: false, blocked: false, error: (err as Error).message };
    }
    if (res.status >= 300 && res.status < 400 && res.location) {
      current = new URL(res.location, target.url).href;
      continue;
    }
    return { url, status: res.status, finalUrl: current, ok: res.status >= 200 && res.status < 300, blocked: false, error: null };
  }
  return { url, status: null, finalUrl: current, ok: false, blocked: false, error: 'too many redirects' };
}

type Vetted = { url: URL; address: string } | { blocked: boolean; error: string };

/** Parses (WHATWG URL: decimal, octal and hex IPv4 forms become dotted quads), resolves, and vets every address. */
async function vet(raw: string, opts: LinkCheckOptions): Promise<Vetted> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { blocked: false, error: 'not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { blocked: true, error: `${url.protocol} links are not checked` };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : await opts.resolve(host);
  } catch (err) {
    return { blocked: false, error: `cannot resolve ${host}: ${(err as Error).message}` };
  }
  if (addresses.length === 0) return { blocked: false, error: `cannot resolve ${host}` };
  // Every address must be public: a name with one private answer could be steered to it.
  if (!opts.allowPrivate && addresses.some(opts.isBlocked ?? isPrivateAddress)) return { blocked: true, error: `${host} is a private or loopback address; start with --link-check-private to allow it` };
  return { url, address: addresses[0] };
}

/** One request to the vetted address (pinned: no second DNS lookup that could answer differently). */
function request(url: URL, address: string, method: 'HEAD' | 'GET', timeoutMs: number): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, {
      method,
      headers: { 'user-agent': 'mailsandbox-link-check', accept: '*/*' },
      lookup: (_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) => {
        const family = net.isIPv6(address) ? 6 : 4;
        if (o.all) cb(null, [{ address, family }]);
        else cb(null, address, family);
      },
      timeout: timeoutMs,
    } as http.RequestOptions);
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      req.destroy();
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The system resolver, every address. */
export async function systemResolve(host: string): Promise<string[]> {
  return (await dnsLookup(host, { all: true })).map((a) => a.address);
}
