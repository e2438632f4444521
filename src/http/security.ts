import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { RequestHandler } from 'express';
import type { SandboxConfig } from '../config.js';
import { HttpError } from './errors.js';

/**
 * HTTP safety of SPEC §8. Every peer with a browser UI has had XSS, cross-site WebSocket hijacking or CSRF
 * advisories; these checks are the answer to each.
 */

/** The UI: own scripts only (no inline), message HTML only in same-origin frames of `/html`, WebSocket to self. */
export const uiCsp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
  "frame-src 'self'; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * Message HTML: `sandbox` (no scripts, opaque origin, no forms), nothing loaded but inline/data/cid images and
 * inline styles; remote images only when the user asks (`?remote=1`, tracking pixels otherwise phone home).
 * `frame-ancestors 'self'` lets the UI frame it and nobody else.
 */
export function htmlCsp(allowRemoteImages: boolean): string {
  const img = allowRemoteImages ? 'img-src data: cid: https: http:' : 'img-src data: cid:';
  return `sandbox; default-src 'none'; ${img}; style-src 'unsafe-inline'; frame-ancestors 'self'`;
}

function isLoopbackName(name: string): boolean {
  // RFC 6761: "localhost" and names under ".localhost" always resolve to loopback in browsers.
  return name === 'localhost' || name.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(name) || name === '::1' || name === '::ffff:127.0.0.1';
}

/** True when the listener is bound to a loopback address only: then nothing but a loopback name can reach it. */
export function isLoopbackBind(host: string): boolean {
  return isLoopbackName(host.toLowerCase().replace(/^\[|\]$/g, ''));
}

/** The host name of a Host header, without the port (`[::1]:8025` → `::1`). */
export function hostName(hostHeader: string): string {
  const m = /^\[([^\]]*)\](?::\d*)?$/.exec(hostHeader);
  if (m) return m[1];
  const colon = hostHeader.lastIndexOf(':');
  return colon >= 0 && hostHeader.indexOf(':') === colon ? hostHeader.slice(0, colon) : hostHeader;
}

/**
 * Which names the `Host` header may carry (SPEC §8). Checked on every bind, 0.0.0.0 included: DNS rebinding
 * points an attacker's name at 127.0.0.1 (or at the Docker host), so the browser sends that name in `Host`. Names
 * an attacker cannot make a browser use for their own page pass: loopback names, IP literals (the page's origin
 * would then be this very server), names without a dot (Docker/CI service aliases, resolved by the local search
 * list, never by public DNS), the machine's host name and what the operator listed in `--allowed-hosts`.
 */
export interface HostPolicy {
  /**
   * Bound to loopback: only the canonical loopback names and literals can reach us without a proxy, so only those
   * (and `allowed`) pass — no trailing-dot or dotless variants.
   */
  readonly loopbackOnly: boolean;
  /** `os.hostname()`, lower-cased. */
  readonly machineName: string;
  /** `--allowed-hosts`: exact names, `.example.test`/`*.example.test` for a domain and its subdomains, `*` for any. */
  readonly allowed: readonly string[];
}

/** A Host header acceptable under `policy`; an absent Host (HTTP/1.0 tools) is not a browser. */
export function isAllowedHost(policy: HostPolicy, hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return true;
  const raw = hostName(hostHeader.trim()).toLowerCase();
  if (!raw || /[^a-z0-9._:%-]/.test(raw)) return false;
  if (policy.allowed.some((entry) => matchesAllowedHost(entry.toLowerCase(), raw.replace(/\.$/, '')))) return true;
  if (policy.loopbackOnly) return isLoopbackName(raw);
  // A trailing dot names the same host in DNS ("localhost." is localhost).
  const name = raw.replace(/\.$/, '');
  return isIP(name) !== 0 || isLoopbackName(name) || !name.includes('.') || name === policy.machineName;
}

function matchesAllowedHost(entry: string, name: string): boolean {
  if (entry === '*') return true;
  const domain = entry.startsWith('*.') ? entry.slice(1) : entry.startsWith('.') ? entry : null;
  if (domain) return name === domain.slice(1) || name.endsWith(domain);
  return name === entry.replace(/\.$/, '');
}

/** `Origin` names the same scheme-less host:port as `Host`. `null` (sandboxed frames, file:) is never same-origin. */
export function isSameOrigin(origin: string, hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host.toLowerCase() === hostHeader.toLowerCase();
  } catch {
    return false;
  }
}

/** Credentials of a `Basic` Authorization header match, compared in constant time. */
export function hasValidBasicAuth(header: string | undefined, auth: NonNullable<SandboxConfig['uiAuth']>): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(Buffer.from(m[1], 'base64').toString('utf8'));
  const want = Buffer.from(`${auth.user}:${auth.pass}`);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The policy for a config: the machine's own name plus `--allowed-hosts`. */
export function hostPolicyOf(config: SandboxConfig): HostPolicy {
  return { loopbackOnly: isLoopbackBind(config.host), machineName: hostname().toLowerCase(), allowed: config.allowedHosts };
}

export function hostGuard(policy: HostPolicy): RequestHandler {
  return (req, _res, next) => {
    if (isAllowedHost(policy, req.headers.host)) return next();
    next(new HttpError(403, 'forbidden_host', 'This Host is not allowed (DNS rebinding protection); add it with --allowed-hosts'));
  };
}

export function basicAuth(auth: SandboxConfig['uiAuth']): RequestHandler {
  return (req, _res, next) => {
    if (!auth || req.path === '/healthz' || hasValidBasicAuth(req.headers.authorization, auth)) return next();
    next(new HttpError(401, 'unauthorized', 'Authentication required', undefined, { 'WWW-Authenticate': 'Basic realm="mailsandbox", charset="UTF-8"' }));
  };
}

/**
 * Refuses every `/api` request another site's page makes, reads included (SPEC §8): a cross-site `no-cors` GET
 * can't read the answer but can time it, and `/messages/wait` answers at once on a match — an oracle that leaks
 * one-time codes digit by digit. `same-site` is refused too: another port on localhost is the same site.
 * Non-browser clients (curl, the library) send neither header and pass.
 */
export const crossSiteGuard: RequestHandler = (req, _res, next) => {
  const problem = crossSiteProblem(req);
  next(problem ? new HttpError(403, 'cross_site', problem) : undefined);
};

const foreignFetchSites = new Set(['cross-site', 'same-site']);

export function crossSiteProblem(req: IncomingMessage): string | null {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && foreignFetchSites.has(site.toLowerCase())) return `Requests from other sites are refused (Sec-Fetch-Site: ${site})`;
  const origin = req.headers.origin;
  if (origin !== undefined && !isSameOrigin(origin, req.headers.host)) return `Requests from origin ${origin.slice(0, 200)} are refused`;
  return null;
}

/**
 * Checks a WebSocket upgrade; browsers don't apply CORS to WebSockets, so without this any page could read the
 * live feed (cross-site WebSocket hijacking). Returns [status, reason] to refuse, or null to accept.
 */
export function checkUpgrade(req: IncomingMessage, config: SandboxConfig, policy: HostPolicy): [number, string] | null {
  if (!isAllowedHost(policy, req.headers.host)) return [403, 'Host is not allowed'];
  if (config.uiAuth && !hasValidBasicAuth(req.headers.authorization, config.uiAuth)) return [401, 'Authentication required'];
  const problem = crossSiteProblem(req);
  return problem ? [403, problem] : null;
}
