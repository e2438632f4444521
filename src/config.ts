import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import type { LogLevel } from './shared/logger.js';
import { parseSize } from './shared/parse-size.js';
import { defaultSmtpExtensions, parseSmtpExtensions, type SmtpExtensionProfile } from './shared/smtp-extensions.js';
import { resolveTeamOptions, teamFlagSpecs, type TeamConfig, type TeamOptions } from './team-options.js';

export const listenerNames = ['smtp', 'submission', 'smtps', 'pop3', 'pop3s', 'imap', 'imaps', 'http'] as const;
export type ListenerName = (typeof listenerNames)[number];

export type SmtpAuthMode = 'off' | 'optional' | 'required';

/**
 * Whether the plain SMTP, POP3 and IMAP ports offer STARTTLS/STLS (SPEC §3). Off by default: a client that upgrades
 * whenever it is offered and verifies the certificate (nodemailer's default) fails against a self-signed one.
 * `required` refuses mail and logins until the client has upgraded.
 */
export type StartTlsMode = 'off' | 'on' | 'required';

/** Every bound on what a client may send (SPEC §10). All reported by `/api/v1/info`. */
export interface Limits {
  /** Bytes per SMTP command line. */
  smtpLineLength: number;
  /** Envelope recipients per message. */
  maxRecipients: number;
  /** Bytes per POP3 command line. */
  pop3LineLength: number;
  /** Bytes per IMAP command line, literals excluded. */
  imapLineLength: number;
  /** Bytes of a literal outside APPEND. */
  imapLiteralSize: number;
  /** Concurrent connections per listener. */
  maxConnections: number;
  /**
   * Concurrent connections per listener from one remote address: half of the default `maxConnections`. A separate
   * number, so lowering `maxConnections` (tests do, to reach the limit quickly) doesn't also lower it.
   */
  maxConnectionsPerAddress: number;
  smtpBadCommands: number;
  pop3BadCommands: number;
  imapBadCommands: number;
  smtpIdleMs: number;
  pop3IdleMs: number;
  imapIdleMs: number;
  /** Bytes of a JSON request body. */
  httpJsonBody: number;
  /** Longest an HTTP client may take to send a request's headers (idle new connections are closed after it too). */
  httpHeadersTimeoutMs: number;
  /** Longest an HTTP client may take to send a whole request, body included (a long-poll's wait is not counted). */
  httpRequestTimeoutMs: number;
  /** Concurrent blocking waits (`/messages/wait` and `waitForMessage`). */
  maxWaiters: number;
  /** Longest a wait may block. */
  maxWaitMs: number;
  /** Protocol sessions kept for `/api/v1/sessions` (a ring, oldest dropped). */
  sessionHistory: number;
  /** Lines kept per session transcript. */
  transcriptLines: number;
  /** Placements (messages) in one folder: COPY/MOVE/APPEND past it `NO [LIMIT]`, SMTP `452 4.2.2`. */
  maxFolderMessages: number;
  /** Folders in one mailbox (CREATE past it `NO [LIMIT]`). */
  maxFolders: number;
  /** Mailboxes in the store: a new one past it is refused (SMTP `452 4.3.1`, IMAP `NO [LIMIT]`, POP3 `-ERR`). */
  maxMailboxes: number;
  /** Bytes of session transcripts kept in all (oldest sessions dropped first). */
  sessionLogBytes: number;
  /** Idle time before a POP3/IMAP login (SMTP: before AUTH or the first MAIL FROM). */
  preLoginIdleMs: number;
  /** Bad commands answered before login; the next closes the connection. */
  preLoginBadCommands: number;
  /** Failed authentications on one connection before it is closed. */
  authFailures: number;
  /** Delay before the first failed authentication is answered; doubles with each failure, at most 2 s. */
  authFailureDelayMs: number;
}

export const defaultLimits: Readonly<Limits> = Object.freeze({
  smtpLineLength: 4096,
  maxRecipients: 100,
  pop3LineLength: 512,
  imapLineLength: 64 * 1024,
  imapLiteralSize: 64 * 1024,
  maxConnections: 200,
  maxConnectionsPerAddress: 100,
  smtpBadCommands: 10,
  pop3BadCommands: 20,
  imapBadCommands: 20,
  smtpIdleMs: 5 * 60_000,
  pop3IdleMs: 5 * 60_000,
  imapIdleMs: 30 * 60_000,
  httpJsonBody: 100_000,
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 60_000,
  maxWaiters: 1000,
  maxWaitMs: 300_000,
  sessionHistory: 500,
  transcriptLines: 2000,
  maxFolderMessages: 100_000,
  maxFolders: 1_000,
  maxMailboxes: 10_000,
  sessionLogBytes: 64 * 1024 * 1024,
  preLoginIdleMs: 30_000,
  preLoginBadCommands: 3,
  authFailures: 3,
  authFailureDelayMs: 500,
});

/** A listener's port, `0` for any free port, or `false` to turn it off. */
export type PortOption = number | false;

/**
 * What `createSandbox()` accepts. Everything is optional.
 * In the library every listener defaults to port 0 (a free port), so parallel test suites never collide;
 * the CLI defaults to the fixed ports of SPEC §3.
 */
export interface SandboxOptions extends TeamOptions {
  host?: string;
  smtp?: { port?: PortOption };
  /** SMTP submission: always offers STARTTLS, as port 587 does (CLI default 1587). */
  submission?: { port?: PortOption };
  smtps?: { port?: PortOption };
  pop3?: { port?: PortOption };
  pop3s?: { port?: PortOption };
  imap?: { port?: PortOption };
  imaps?: { port?: PortOption };
  http?: { port?: PortOption };
  tls?: { certFile?: string; keyFile?: string };
  /** STARTTLS/STLS on the plain SMTP, POP3 and IMAP ports: `off` (default), `on` or `required`. */
  starttls?: StartTlsMode;
  /** Bytes; default 25 MiB. */
  maxMessageSize?: number;
  /** Retention cap; oldest evicted first; 0 = unlimited. Default 10,000. */
  maxMessages?: number;
  /** Byte budget of the stored messages; oldest evicted first; 0 = unlimited. Default 1 GiB. */
  maxSize?: number;
  /** Quota per mailbox (RFC 9208 `MESSAGE`): messages across its folders; past it SMTP 452 4.2.2, IMAP `NO [OVERQUOTA]`, HTTP 507. 0 = none (default). */
  quotaMessages?: number;
  /** Quota per mailbox (RFC 9208 `STORAGE`): bytes of its messages across its folders. 0 = none (default). */
  quotaSize?: number;
  /** Milliseconds a message is kept after it arrived; older ones are evicted; 0 = forever (default). */
  maxAge?: number;
  /**
   * Keep mail on disk (SQLite) in this directory across restarts and crashes; default: in memory only. One sandbox per
   * directory at a time.
   */
  dataDir?: string;
  /** With `dataDir`: `normal` (default; survives a crash of the process) or `full` (fsync every commit; survives a power loss). */
  fsync?: 'normal' | 'full';
  smtpAuth?: SmtpAuthMode;
  /** A file of `address:password` lines. */
  usersFile?: string;
  /** Credentials given directly (address -> password); merged with `usersFile`. */
  users?: Record<string, string>;
  /** `user:pass` for HTTP Basic auth on the UI and API. */
  uiAuth?: string;
  /** Extra names the HTTP `Host` header may carry (DNS rebinding protection): `mail.example.test`, `.example.test` (a domain and its subdomains), `*` (any). */
  allowedHosts?: string[];
  logLevel?: LogLevel;
  limits?: Partial<Limits>;
  /** Fault rules to load at start (SPEC §13), given directly. */
  faults?: unknown[];
  /** A JSON file holding an array of fault rules (`--faults FILE`). */
  faultsFile?: string;
  /** The SMTP extension profile, e.g. `'-PIPELINING,+DSN'` (SPEC §13). */
  smtpExtensions?: string;
  /** Message checks (SPEC §14): a zone file for DKIM/SPF/DMARC lookups (no other DNS is asked). */
  dnsZone?: string;
  /** `host:port` of a running SpamAssassin `spamd`; turns the spam check on. */
  spamd?: string;
  /** Turns the link check on (it makes HTTP requests to the links in mail). */
  linkCheck?: boolean;
  /** Lets the link check reach private, loopback and link-local addresses. */
  linkCheckPrivate?: boolean;
  /** `postgres://...`: keep the store in PostgreSQL, shared by every node given the same URL and tenant (issue #13). */
  databaseUrl?: string;
  /** The tenant within the database (default `default`); tenants never see each other's mail. */
  tenant?: string;
}

/** What the message checks may use; see SandboxOptions. */
export interface ChecksConfig {
  readonly dnsZone?: string;
  readonly spamd?: { readonly host: string; readonly port: number };
  readonly linkCheck: boolean;
  readonly linkCheckPrivate: boolean;
}

export interface ListenerConfig {
  /** `null` when the listener is off. */
  port: number | null;
}

export interface SandboxConfig extends TeamConfig {
  readonly host: string;
  readonly listeners: Readonly<Record<ListenerName, ListenerConfig>>;
  readonly tls: { readonly certFile?: string; readonly keyFile?: string };
  readonly starttls: StartTlsMode;
  readonly maxMessageSize: number;
  readonly maxMessages: number;
  readonly maxSize: number;
  readonly quotaMessages: number;
  readonly quotaSize: number;
  /** ms; 0 = no age limit. */
  readonly maxAge: number;
  /** The durable store's directory, or undefined for the in-memory store. */
  readonly dataDir?: string;
  readonly fsync: 'normal' | 'full';
  readonly smtpAuth: SmtpAuthMode;
  readonly usersFile?: string;
  readonly users?: Readonly<Record<string, string>>;
  readonly uiAuth?: { readonly user: string; readonly pass: string };
  readonly allowedHosts: readonly string[];
  readonly logLevel: LogLevel;
  readonly limits: Readonly<Limits>;
  readonly faults?: readonly unknown[];
  readonly faultsFile?: string;
  readonly smtpExtensions: SmtpExtensionProfile;
  readonly checks: ChecksConfig;
  /** PostgreSQL store (issue #13); absent = in memory. */
  readonly database?: { readonly url: string; readonly tenant: string };
}

export const cliDefaultPorts: Readonly<Record<ListenerName, number>> = {
  smtp: 1025,
  submission: 1587,
  smtps: 1465,
  pop3: 1110,
  pop3s: 1995,
  imap: 1143,
  imaps: 1993,
  http: 8025,
};

/** Invalid configuration: one entry in `problems` per thing that is wrong. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const logLevels: readonly LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug'];
const authModes: readonly SmtpAuthMode[] = ['off', 'optional', 'required'];
const startTlsModes: readonly StartTlsMode[] = ['off', 'on', 'required'];

/** An IP literal, or a host name made of DNS labels (`0.0.0.0.0` is neither: all-numeric labels must be an IPv4). */
function isValidHost(host: string): boolean {
  if (isIP(host)) return true;
  if (/^[\d.]+$/.test(host)) return false;
  return host.length <= 253 && host.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label));
}

/** Validates options and fills defaults; throws one ConfigError listing every problem. */
export function resolveConfig(options: SandboxOptions = {}, defaultPort: (l: ListenerName) => number = () => 0): SandboxConfig {
  const problems: string[] = [];
  const listeners = resolveListeners(options, defaultPort, problems);
  const host = options.host ?? '127.0.0.1';
  if (!isValidHost(host)) problems.push(`host must be an IP address or host name, got ${JSON.stringify(host)}`);
  const maxMessageSize = options.maxMessageSize ?? 25 * 1024 * 1024;
  if (!Number.isInteger(maxMessageSize) || maxMessageSize < 1024) problems.push(`max message size must be a whole number of bytes, at least 1024 (1KiB), got ${String(maxMessageSize)}`);
  const maxMessages = options.maxMessages ?? 10_000;
  if (!Number.isInteger(maxMessages) || maxMessages < 0) problems.push(`max messages must be a whole number >= 0, got ${String(maxMessages)}`);
  const maxSize = options.maxSize ?? 1024 ** 3;
  if (!Number.isInteger(maxSize) || maxSize < 0) problems.push(`max size must be a whole number of bytes >= 0, got ${String(maxSize)}`);
  // A budget smaller than one message would evict every message the moment it is stored.
  else if (maxSize > 0 && maxSize < maxMessageSize) problems.push(`max size (${maxSize} bytes) must be at least the max message size (${maxMessageSize} bytes), or 0 for unlimited`);
  const quotaMessages = options.quotaMessages ?? 0;
  if (!Number.isInteger(quotaMessages) || quotaMessages < 0) problems.push(`quota messages must be a whole number >= 0, got ${String(quotaMessages)}`);
  const quotaSize = options.quotaSize ?? 0;
  if (!Number.isInteger(quotaSize) || quotaSize < 0) problems.push(`quota size must be a whole number of bytes >= 0, got ${String(quotaSize)}`);
  const maxAge = options.maxAge ?? 0;
  if (!Number.isInteger(maxAge) || maxAge < 0) problems.push(`max age must be a whole number of milliseconds >= 0, got ${String(maxAge)}`);
  const fsync = options.fsync ?? 'normal';
  if (fsync !== 'normal' && fsync !== 'full') problems.push(`fsync must be normal or full, got ${String(fsync)}`);
  if (options.dataDir !== undefined && (typeof options.dataDir !== 'string' || options.dataDir.trim() === '')) problems.push('data dir must be a directory path');
  // smtpAuth 'required' without users is allowed: accept-any with AUTH required tests that a client authenticates.
  const smtpAuth = options.smtpAuth ?? 'optional';
  if (!authModes.includes(smtpAuth)) problems.push(`smtp auth must be one of ${authModes.join(', ')}, got ${String(smtpAuth)}`);
  const starttls = options.starttls ?? 'off';
  if (!startTlsModes.includes(starttls)) problems.push(`starttls must be one of ${startTlsModes.join(', ')}, got ${String(starttls)}`);
  // The library is quiet by default (a line per stored message would fill test output); the CLI sets info.
  const logLevel = options.logLevel ?? 'warn';
  if (!logLevels.includes(logLevel)) problems.push(`log level must be one of ${logLevels.join(', ')}, got ${String(logLevel)}`);
  const uiAuth = parseUiAuth(options.uiAuth, problems);
  const allowedHosts = checkAllowedHosts(options.allowedHosts ?? [], problems);
  if ((options.tls?.certFile === undefined) !== (options.tls?.keyFile === undefined)) problems.push('tls cert and tls key must be given together');
  const limits = { ...defaultLimits, ...options.limits };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v <= 0) problems.push(`limit ${k} must be a positive whole number, got ${String(v)}`);
  }
  if (limits.httpHeadersTimeoutMs > limits.httpRequestTimeoutMs) problems.push('limit httpHeadersTimeoutMs must not exceed httpRequestTimeoutMs');
  const smtpExtensions = options.smtpExtensions === undefined ? defaultSmtpExtensions : parseSmtpExtensions(options.smtpExtensions, problems, '--smtp-extensions');
  if (options.faults !== undefined && !Array.isArray(options.faults)) problems.push('faults must be an array of fault rules');
  const checks = resolveChecks(options, problems);
  const team = resolveTeamOptions(options, problems);
  const database = resolveDatabase(options, problems);
  if (database && options.dataDir !== undefined) problems.push('data dir and database url are two different stores: give one of them');
  if (problems.length) throw new ConfigError(problems);
  const users = options.users ? { ...options.users } : undefined;
  const faultOptions = { faults: options.faults, faultsFile: options.faultsFile, smtpExtensions };
  return deepFreeze({ host, listeners, tls: { ...options.tls }, starttls, maxMessageSize, maxMessages, maxSize, maxAge, dataDir: options.dataDir, fsync, quotaMessages, quotaSize, smtpAuth, usersFile: options.usersFile, users, uiAuth, allowedHosts, logLevel, limits, ...faultOptions, ...team, checks, ...(database ? { database } : {}) });
}

/** `databaseUrl` + `tenant` (issue #13). A tenant without a database is a mistake worth naming. */
function resolveDatabase(options: SandboxOptions, problems: string[]): { url: string; tenant: string } | undefined {
  const tenant = options.tenant ?? 'default';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(tenant)) problems.push(`tenant must be 1-63 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(tenant)}`);
  if (options.databaseUrl === undefined) {
    if (options.tenant !== undefined) problems.push('tenant needs a database url (--database-url postgres://...)');
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(options.databaseUrl);
  } catch {
    problems.push('database url must be a URL like postgres://user:pass@host:5432/db');
  }
  if (url && url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') problems.push(`database url must start with postgres:// or postgresql://, got ${url.protocol}//`);
  return { url: options.databaseUrl, tenant };
}

function resolveListeners(options: SandboxOptions, defaultPort: (l: ListenerName) => number, problems: string[]): Record<ListenerName, ListenerConfig> {
  const listeners = {} as Record<ListenerName, ListenerConfig>;
  const taken = new Map<number, string>();
  for (const name of listenerNames) {
    const given = options[name]?.port;
    if (given === false) {
      listeners[name] = { port: null };
      continue;
    }
    const port = given ?? defaultPort(name);
    if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`${name} port must be 0-65535 or off, got ${String(port)}`);
    const other = taken.get(port);
    if (other && port !== 0) problems.push(`${name} and ${other} both use port ${String(port)}`);
    taken.set(port, name);
    listeners[name] = { port };
  }
  return listeners;
}

function resolveChecks(options: SandboxOptions, problems: string[]): ChecksConfig {
  let spamd: ChecksConfig['spamd'];
  if (options.spamd !== undefined) {
    const m = /^(\[[0-9a-f:.]+\]|[^\s:/]+):(\d{1,5})$/i.exec(options.spamd);
    if (m && Number(m[2]) > 0 && Number(m[2]) <= 65535) spamd = { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
    else problems.push(`spamd must be host:port, got ${JSON.stringify(options.spamd)}`);
  }
  if (options.dnsZone !== undefined && !options.dnsZone) problems.push('dns zone must be a file path');
  return { dnsZone: options.dnsZone, spamd, linkCheck: options.linkCheck === true, linkCheckPrivate: options.linkCheckPrivate === true };
}

function parseUiAuth(value: string | undefined, problems: string[]): SandboxConfig['uiAuth'] {
  if (value === undefined) return undefined;
  const i = value.indexOf(':');
  if (i > 0) return { user: value.slice(0, i), pass: value.slice(i + 1) };
  problems.push('ui auth must be user:pass');
  return undefined;
}

/** Host names as a browser sends them: letters, digits, `-`, `_`, dots; `.domain`/`*.domain` for subdomains; `*`. */
const allowedHostPattern = /^(\*|(\*?\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?)$/i;

function checkAllowedHosts(hosts: readonly string[], problems: string[]): string[] {
  const out = hosts.map((h) => h.trim()).filter(Boolean);
  for (const h of out) if (!allowedHostPattern.test(h)) problems.push(`allowed hosts: ${JSON.stringify(h)} is not a host name (no port or scheme; .example.test for a domain, * for any)`);
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Parses `users` file content: `address:password` per line, `#` comments and blank lines ignored. */
export function parseUsersFile(text: string): { users: Record<string, string>; problems: string[] } {
  const users: Record<string, string> = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const at = t.indexOf(':');
    if (at <= 0) problems.push(`users file line ${i + 1}: expected address:password`);
    else users[t.slice(0, at).trim().toLowerCase()] = t.slice(at + 1);
  });
  return { users, problems };
}

// ---- CLI: flags and env vars -> SandboxOptions ----

export interface CliSettings {
  options: SandboxOptions;
  help: boolean;
  version: boolean;
  jsonBanner: boolean;
  /** `--exit-with-parent` / MAILSANDBOX_EXIT_WITH_PARENT: stop when the process that started the CLI goes away. */
  exitWithParent: boolean;
}

export interface FlagSpec {
  flag: string;
  env: string;
  help: string;
  /** May be given more than once; each value is applied in turn (the environment variable only when no flag is given). */
  multiple?: boolean;
  /** Set on a listener's port flag, so `--ports 0` knows which listeners were given their own port. */
  listener?: ListenerName;
  /** `from` is what the user typed the value into (`--smtp-port` or `MAILSANDBOX_SMTP_PORT`): problems name it. */
  apply(o: SandboxOptions, v: string, problems: string[], from: string): void;
}

const portFlag = (name: ListenerName, what: string): FlagSpec => ({
  flag: `${name}-port`,
  env: `MAILSANDBOX_${name.toUpperCase()}_PORT`,
  help: `${what} port, 0 = any free port, off = disabled (default ${cliDefaultPorts[name]})`,
  listener: name,
  apply(o, v, problems, from) {
    if (v === 'off') o[name] = { port: false };
    else if (/^\d+$/.test(v)) o[name] = { port: Number(v) };
    else problems.push(`${from} must be a port number or off, got ${JSON.stringify(v)}`);
  },
});

export const flagSpecs: readonly FlagSpec[] = [
  { flag: 'host', env: 'MAILSANDBOX_HOST', help: 'bind address for every listener (default 127.0.0.1)', apply: (o, v) => void (o.host = v) },
  portFlag('smtp', 'SMTP (plain; STARTTLS with --starttls)'),
  portFlag('submission', 'SMTP submission (STARTTLS always offered)'),
  portFlag('smtps', 'SMTPS (implicit TLS)'),
  portFlag('pop3', 'POP3 (plain; STLS with --starttls)'),
  portFlag('pop3s', 'POP3S (implicit TLS)'),
  portFlag('imap', 'IMAP (plain; STARTTLS with --starttls)'),
  portFlag('imaps', 'IMAPS (implicit TLS)'),
  portFlag('http', 'HTTP (UI, REST, WebSocket)'),
  {
    flag: 'ports',
    env: 'MAILSANDBOX_PORTS',
    help: '0 = every listener not given its own port on a free port',
    apply(_o, v, problems, from) {
      if (v !== '0') problems.push(`${from} only takes 0 (every listener on a free port), got ${JSON.stringify(v)}`);
    },
  },
  {
    flag: 'starttls',
    env: 'MAILSANDBOX_STARTTLS',
    help: 'STARTTLS/STLS on the plain SMTP, POP3 and IMAP ports: off | on | required (default off)',
    apply(o, v, problems, from) {
      if ((startTlsModes as readonly string[]).includes(v)) o.starttls = v as StartTlsMode;
      else problems.push(`${from} must be off, on or required, got ${JSON.stringify(v)}`);
    },
  },
  { flag: 'tls-cert', env: 'MAILSANDBOX_TLS_CERT', help: 'PEM certificate file (default: self-signed, generated at start)', apply: (o, v) => void (o.tls = { ...o.tls, certFile: v }) },
  { flag: 'tls-key', env: 'MAILSANDBOX_TLS_KEY', help: 'PEM private key file', apply: (o, v) => void (o.tls = { ...o.tls, keyFile: v }) },
  {
    flag: 'max-message-size',
    env: 'MAILSANDBOX_MAX_MESSAGE_SIZE',
    help: 'largest message accepted: bytes, or 10MB (decimal), 25MiB (binary), 2.5MiB; at least 1KiB (default 25MiB)',
    apply(o, v, problems, from) {
      const n = parseSize(v);
      if (n === undefined) problems.push(`${from} must be a size like 26214400, 10MB or 25MiB, got ${JSON.stringify(v)}`);
      else o.maxMessageSize = n;
    },
  },
  {
    flag: 'max-messages',
    env: 'MAILSANDBOX_MAX_MESSAGES',
    help: 'messages kept, oldest evicted first, 0 = unlimited (default 10000)',
    apply(o, v, problems, from) {
      if (/^\d+$/.test(v)) o.maxMessages = Number(v);
      else problems.push(`${from} must be a whole number, got ${JSON.stringify(v)}`);
    },
  },
  {
    flag: 'max-size',
    env: 'MAILSANDBOX_MAX_SIZE',
    help: 'bytes of messages kept, oldest evicted first, 0 = unlimited (default 1GiB)',
    apply(o, v, problems, from) {
      const n = parseSize(v);
      if (n === undefined) problems.push(`${from} must be a size like 1073741824, 5GB or 1GiB, got ${JSON.stringify(v)}`);
      else o.maxSize = n;
    },
  },
  {
    flag: 'quota-messages',
    env: 'MAILSANDBOX_QUOTA_MESSAGES',
    help: 'messages per mailbox (all folders) before deliveries are refused as over quota, 0 = none (default 0)',
    apply(o, v, problems, from) {
      if (/^\d+$/.test(v)) o.quotaMessages = Number(v);
      else problems.push(`${from} must be a whole number, got ${JSON.stringify(v)}`);
    },
  },
  {
    flag: 'quota-size',
    env: 'MAILSANDBOX_QUOTA_SIZE',
    help: 'bytes of messages per mailbox (all folders) before deliveries are refused as over quota, 0 = none (default 0)',
    apply(o, v, problems, from) {
      const n = parseSize(v);
      if (n === undefined) problems.push(`${from} must be a size like 1048576, 5MB or 1MiB, got ${JSON.stringify(v)}`);
      else o.quotaSize = n;
    },
  },
  {
    flag: 'max-age',
    env: 'MAILSANDBOX_MAX_AGE',
    help: 'how long a message is kept: 30m, 12h, 7d or seconds; older ones are evicted, 0 = forever (default 0)',
    apply(o, v, problems, from) {
      const n = parseAge(v);
      if (n === undefined) problems.push(`${from} must be a duration like 3600, 30m, 12h or 7d, got ${JSON.stringify(v)}`);
      else o.maxAge = n;
    },
  },
  {
    flag: 'data-dir',
    env: 'MAILSANDBOX_DATA_DIR',
    help: 'keep mail on disk (SQLite) in this directory across restarts; default: in memory only',
    apply: (o, v) => void (o.dataDir = v),
  },
  {
    flag: 'fsync',
    env: 'MAILSANDBOX_FSYNC',
    help: 'with --data-dir: normal (survives a crash of the process) | full (fsync each commit, survives a power loss; slower) (default normal)',
    apply(o, v, problems, from) {
      if (v === 'normal' || v === 'full') o.fsync = v;
      else problems.push(`${from} must be normal or full, got ${JSON.stringify(v)}`);
    },
  },
  {
    flag: 'smtp-auth',
    env: 'MAILSANDBOX_SMTP_AUTH',
    help: 'off | optional | required (default optional)',
    apply(o, v, problems, from) {
      if ((authModes as readonly string[]).includes(v)) o.smtpAuth = v as SmtpAuthMode;
      else problems.push(`${from} must be off, optional or required, got ${JSON.stringify(v)}`);
    },
  },
  { flag: 'users', env: 'MAILSANDBOX_USERS', help: 'file of address:password lines (default: any password accepted)', apply: (o, v) => void (o.usersFile = v) },
  {
    flag: 'allowed-hosts',
    env: 'MAILSANDBOX_ALLOWED_HOSTS',
    help: 'comma-separated extra HTTP Host names to answer (.example.test = domain and subdomains, * = any); loopback, IPs, dotless names and this host name always pass',
    apply: (o, v) => void (o.allowedHosts = v.split(',')),
  },
  { flag: 'ui-auth', env: 'MAILSANDBOX_UI_AUTH', help: 'user:pass for HTTP Basic auth on the UI and API', apply: (o, v) => void (o.uiAuth = v) },
  { flag: 'faults', env: 'MAILSANDBOX_FAULTS', help: 'JSON file with an array of fault rules to load at start', apply: (o, v) => void (o.faultsFile = v) },
  {
    flag: 'smtp-extensions',
    env: 'MAILSANDBOX_SMTP_EXTENSIONS',
    help: 'SMTP extensions to offer or hide, e.g. -PIPELINING,-SMTPUTF8,+DSN',
    apply: (o, v) => void (o.smtpExtensions = v),
  },
  { flag: 'dns-zone', env: 'MAILSANDBOX_DNS_ZONE', help: 'zone file answering the auth check\'s DNS lookups (no other DNS is asked)', apply: (o, v) => void (o.dnsZone = v) },
  { flag: 'spamd', env: 'MAILSANDBOX_SPAMD', help: 'host:port of a SpamAssassin spamd; turns the spam check on', apply: (o, v) => void (o.spamd = v) },
  {
    flag: 'log-level',
    env: 'MAILSANDBOX_LOG_LEVEL',
    help: 'silent | error | warn | info | debug (default info)',
    apply(o, v, problems, from) {
      if ((logLevels as readonly string[]).includes(v)) o.logLevel = v as LogLevel;
      else problems.push(`${from} must be one of ${logLevels.join(', ')}, got ${JSON.stringify(v)}`);
    },
  },
  { flag: 'database-url', env: 'MAILSANDBOX_DATABASE_URL', help: 'postgres://user:pass@host:5432/db: keep mail in PostgreSQL, shared by every node on the same URL and tenant', apply: (o, v) => void (o.databaseUrl = v) },
  { flag: 'tenant', env: 'MAILSANDBOX_TENANT', help: 'tenant within the database (default default); tenants never see each other\'s mail', apply: (o, v) => void (o.tenant = v) },
  ...teamFlagSpecs,
];

/** argv + env -> options for createSandbox. Flags win over env vars, env vars over defaults. Throws ConfigError. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliSettings {
  const problems: string[] = [];
  const optionDefs: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    'json-banner': { type: 'boolean' },
    'exit-with-parent': { type: 'boolean' },
  };
  for (const s of flagSpecs) optionDefs[s.flag] = { type: 'string', ...(s.multiple ? { multiple: true } : {}) };
  for (const name of listenerNames) optionDefs[`no-${name}`] = { type: 'boolean' };
  for (const b of booleanFlags) optionDefs[b.flag] = { type: 'boolean' };
  // Non-strict parsing so that every problem is reported at once, not just the first.
  const { values, positionals } = parseArgs({ args: [...argv], options: optionDefs, strict: false, allowPositionals: true });
  for (const [key, value] of Object.entries(values)) {
    const def = optionDefs[key];
    const name = key.length === 1 ? `-${key}` : `--${key}`;
    if (!def) problems.push(`unknown option ${name}`);
    else if (def.multiple && Array.isArray(value) && value.some((v) => typeof v !== 'string')) problems.push(`${name} needs a value`);
    else if (def.type === 'string' && !def.multiple && typeof value !== 'string') problems.push(`${name} needs a value`);
    else if (def.type === 'boolean' && typeof value !== 'boolean') problems.push(`${name} takes no value`);
  }
  for (const p of positionals) problems.push(`unexpected argument ${JSON.stringify(p)}`);
  // The CLI logs each stored message (info); the library defaults to warn.
  const options: SandboxOptions = { logLevel: 'info' };
  for (const name of listenerNames) options[name] = { port: cliDefaultPorts[name] };
  const given = new Set<ListenerName>();
  for (const s of flagSpecs) {
    const fromEnv = env[s.env];
    // A repeatable flag given on the command line replaces its environment variable instead of adding to it.
    if (s.multiple && values[s.flag] !== undefined) continue;
    if (fromEnv === undefined || fromEnv === '') continue;
    s.apply(options, fromEnv, problems, s.env);
    if (s.listener) given.add(s.listener);
  }
  for (const s of flagSpecs) {
    const v = values[s.flag];
    if (s.multiple && Array.isArray(v)) for (const one of v) if (typeof one === 'string') s.apply(options, one, problems, `--${s.flag}`);
    if (typeof v !== 'string') continue;
    s.apply(options, v, problems, `--${s.flag}`);
    if (s.listener) given.add(s.listener);
  }
  for (const name of listenerNames) if (values[`no-${name}`]) options[name] = { port: false };
  if ((values.ports ?? env.MAILSANDBOX_PORTS) === '0') {
    for (const name of listenerNames) if (!given.has(name) && !values[`no-${name}`]) options[name] = { port: 0 };
  }
  for (const b of booleanFlags) {
    const fromEnv = env[b.env];
    if (values[b.flag] === true || (fromEnv !== undefined && /^(1|true|yes|on)$/i.test(fromEnv))) b.apply(options);
  }
  if (problems.length) {
    // Also list what the values that did parse get wrong (a port out of range, ui auth without a colon, ...).
    try {
      resolveConfig(options, (n) => cliDefaultPorts[n]);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
    }
    throw new ConfigError(problems);
  }
  const exitWithParent = values['exit-with-parent'] === true || /^(1|true|yes|on)$/i.test(env.MAILSANDBOX_EXIT_WITH_PARENT ?? '');
  return { options, help: !!values.help, version: !!values.version, jsonBanner: !!values['json-banner'], exitWithParent };
}

/** On/off flags (no value); their env var turns them on with 1/true/yes/on. */
const booleanFlags: ReadonlyArray<{ flag: string; env: string; help: string; apply(o: SandboxOptions): void }> = [
  { flag: 'link-check', env: 'MAILSANDBOX_LINK_CHECK', help: 'check the links and images of mail over HTTP (off by default)', apply: (o) => void (o.linkCheck = true) },
  { flag: 'link-check-private', env: 'MAILSANDBOX_LINK_CHECK_PRIVATE', help: 'let the link check reach private and loopback addresses', apply: (o) => void (o.linkCheckPrivate = true) },
];

export function formatHelp(): string {
  const rows = flagSpecs.map((s) => [`--${s.flag} <value>`, s.env, s.help]);
  rows.push(...booleanFlags.map((b) => [`--${b.flag}`, b.env, b.help]));
  rows.push(...listenerNames.map((n) => [`--no-${n}`, '', `disable the ${n.toUpperCase()} listener`]));
  rows.push(['--json-banner', '', 'print the start-up banner as one JSON line (always printed last when not a TTY)']);
  rows.push(['--exit-with-parent', 'MAILSANDBOX_EXIT_WITH_PARENT', 'stop when the parent process exits (a closed stdin pipe or IPC channel always stops it)']);
  rows.push(['-h, --help', '', 'show this help'], ['-v, --version', '', 'show the version']);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return [
    'Usage: mailsandbox [options]',
    '       mailsandbox import PATH... (--url URL | --data-dir DIR) [--mailbox ADDR] [--folder NAME]   (.eml, mbox, Maildir)',
    '       mailsandbox export --out DIR [--format eml|maildir] (--url URL | --data-dir DIR)',
    '',
    'Fake SMTP, POP3 and IMAP servers over one in-memory store, with a web UI and REST API.',
    'Flags win over environment variables, which win over defaults.',
    '',
    ...rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`),
    '',
  ].join('\n');
}

/** `3600` (seconds), `30m`, `12h`, `7d` → milliseconds; undefined when not a duration. */
export function parseAge(v: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit * 1000;
}
