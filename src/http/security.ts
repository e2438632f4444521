import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
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

/** True when the listener is bound to a loopback address only (then DNS rebinding is the threat to stop). */
export function isLoopbackBind(host: string): boolean {
  return isLoopbackName(host);
}

function isLoopbackName(name: string): boolean {
  const h = name.toLowerCase().replace(/^\[|\]$/g, '');
  // RFC 6761: "localhost" and names under ".localhost" always resolve to loopback in browsers.
  return h === 'localhost' || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '::1' || h === '::ffff:127.0.0.1';
}

/** The host name of a Host header, without the port (`[::1]:8025` → `::1`). */
export function hostName(hostHeader: string): string {
  const m = /^\[([^\]]*)\](?::\d*)?$/.exec(hostHeader);
  if (m) return m[1];
  const colon = hostHeader.lastIndexOf(':');
  return colon >= 0 && hostHeader.indexOf(':') === colon ? hostHeader.slice(0, colon) : hostHeader;
}

/** A Host header acceptable for a server bound to `bindHost`; absent Host (HTTP/1.0 tools) is not a browser. */
export function isAllowedHost(bindHost: string, hostHeader: string | undefined): boolean {
  if (!isLoopbackBind(bindHost) || hostHeader === undefined) return true;
  return isLoopbackName(hostName(hostHeader));
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

export function hostGuard(bindHost: string): RequestHandler {
  return (req, _res, next) => {
    if (isAllowedHost(bindHost, req.headers.host)) return next();
    next(new HttpError(403, 'forbidden_host', 'Host header is not a loopback name; this server only answers to localhost (DNS rebinding protection)'));
  };
}

export function basicAuth(auth: SandboxConfig['uiAuth']): RequestHandler {
  return (req, _res, next) => {
    if (!auth || req.path === '/healthz' || hasValidBasicAuth(req.headers.authorization, auth)) return next();
    next(new HttpError(401, 'unauthorized', 'Authentication required', undefined, { 'WWW-Authenticate': 'Basic realm="mailsandbox", charset="UTF-8"' }));
  };
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses state-changing requests made by another site's page (CSRF); non-browser clients send neither header. */
export const crossSiteGuard: RequestHandler = (req, _res, next) => {
  const problem = safeMethods.has(req.method) ? null : crossSiteProblem(req);
  next(problem ? new HttpError(403, 'cross_site', problem) : undefined);
};

function crossSiteProblem(req: IncomingMessage): string | null {
  if (req.headers['sec-fetch-site'] === 'cross-site') return 'Cross-site requests may not change state (Sec-Fetch-Site: cross-site)';
  const origin = req.headers.origin;
  if (origin !== undefined && !isSameOrigin(origin, req.headers.host)) return `Origin ${origin} may not change state here`;
  return null;
}

/**
 * Checks a WebSocket upgrade; browsers don't apply CORS to WebSockets, so without this any page could read the
 * live feed (cross-site WebSocket hijacking). Returns [status, reason] to refuse, or null to accept.
 */
export function checkUpgrade(req: IncomingMessage, config: SandboxConfig): [number, string] | null {
  if (!isAllowedHost(config.host, req.headers.host)) return [403, 'Host is not a loopback name'];
  if (config.uiAuth && !hasValidBasicAuth(req.headers.authorization, config.uiAuth)) return [401, 'Authentication required'];
  const origin = req.headers.origin;
  if (origin !== undefined && !isSameOrigin(origin, req.headers.host)) return [403, `Origin ${origin} is not allowed`];
  return null;
}
