import { parseArgs } from 'node:util';
import type { LogLevel } from './shared/logger.js';
import { defaultSmtpExtensions, parseSmtpExtensions, type SmtpExtensionProfile } from './shared/smtp-extensions.js';

export const listenerNames = ['smtp', 'smtps', 'pop3', 'pop3s', 'imap', 'imaps', 'http'] as const;
export type ListenerName = (typeof listenerNames)[number];

export type SmtpAuthMode = 'off' | 'optional' | 'required';

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
  smtpBadCommands: number;
  pop3BadCommands: number;
  imapBadCommands: number;
  smtpIdleMs: number;
  pop3IdleMs: number;
  imapIdleMs: number;
  /** Bytes of a JSON request body. */
  httpJsonBody: number;
  /** Concurrent blocking waits (`/messages/wait` and `waitForMessage`). */
  maxWaiters: number;
  /** Longest a wait may block. */
  maxWaitMs: number;
  /** Protocol sessions kept for `/api/v1/sessions` (a ring, oldest dropped). */
  sessionHistory: number;
  /** Lines kept per session transcript. */
  transcriptLines: number;
}

export const defaultLimits: Readonly<Limits> = Object.freeze({
  smtpLineLength: 4096,
  maxRecipients: 100,
  pop3LineLength: 512,
  imapLineLength: 64 * 1024,
  imapLiteralSize: 64 * 1024,
  maxConnections: 200,
  smtpBadCommands: 10,
  pop3BadCommands: 20,
  imapBadCommands: 20,
  smtpIdleMs: 5 * 60_000,
  pop3IdleMs: 5 * 60_000,
  imapIdleMs: 30 * 60_000,
  httpJsonBody: 100_000,
  maxWaiters: 1000,
  maxWaitMs: 300_000,
  sessionHistory: 500,
  transcriptLines: 2000,
});

/** A listener's port, `0` for any free port, or `false` to turn it off. */
export type PortOption = number | false;

/**
 * What `createSandbox()` accepts. Everything is optional.
 * In the library every listener defaults to port 0 (a free port), so parallel test suites never collide;
 * the CLI defaults to the fixed ports of SPEC §3.
 */
export interface SandboxOptions {
  host?: string;
  smtp?: { port?: PortOption };
  smtps?: { port?: PortOption };
  pop3?: { port?: PortOption };
  pop3s?: { port?: PortOption };
  imap?: { port?: PortOption };
  imaps?: { port?: PortOption };
  http?: { port?: PortOption };
  tls?: { certFile?: string; keyFile?: string };
  /** Bytes; default 25 MiB. */
  maxMessageSize?: number;
  /** Retention cap; oldest evicted first; 0 = unlimited. Default 10,000. */
  maxMessages?: number;
  smtpAuth?: SmtpAuthMode;
  /** A file of `address:password` lines. */
  usersFile?: string;
  /** Credentials given directly (address -> password); merged with `usersFile`. */
  users?: Record<string, string>;
  /** `user:pass` for HTTP Basic auth on the UI and API. */
  uiAuth?: string;
  logLevel?: LogLevel;
  limits?: Partial<Limits>;
  /** Fault rules to load at start (SPEC §13), given directly. */
  faults?: unknown[];
  /** A JSON file holding an array of fault rules (`--faults FILE`). */
  faultsFile?: string;
  /** The SMTP extension profile, e.g. `'-PIPELINING,+DSN'` (SPEC §13). */
  smtpExtensions?: string;
}

export interface ListenerConfig {
  /** `null` when the listener is off. */
  port: number | null;
}

export interface SandboxConfig {
  readonly host: string;
  readonly listeners: Readonly<Record<ListenerName, ListenerConfig>>;
  readonly tls: { readonly certFile?: string; readonly keyFile?: string };
  readonly maxMessageSize: number;
  readonly maxMessages: number;
  readonly smtpAuth: SmtpAuthMode;
  readonly usersFile?: string;
  readonly users?: Readonly<Record<string, string>>;
  readonly uiAuth?: { readonly user: string; readonly pass: string };
  readonly logLevel: LogLevel;
  readonly limits: Readonly<Limits>;
  readonly faults?: readonly unknown[];
  readonly faultsFile?: string;
  readonly smtpExtensions: SmtpExtensionProfile;
}

export const cliDefaultPorts: Readonly<Record<ListenerName, number>> = {
  smtp: 1025,
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

/** Validates options and fills defaults; throws one ConfigError listing every problem. */
export function resolveConfig(options: SandboxOptions = {}, defaultPort: (l: ListenerName) => number = () => 0): SandboxConfig {
  const problems: string[] = [];
  const listeners = resolveListeners(options, defaultPort, problems);
  const host = options.host ?? '127.0.0.1';
  if (!host || /[\s/]/.test(host)) problems.push(`host must be an address or host name, got ${JSON.stringify(host)}`);
  const maxMessageSize = options.maxMessageSize ?? 25 * 1024 * 1024;
  if (!Number.isInteger(maxMessageSize) || maxMessageSize < 1024) problems.push(`max message size must be a whole number of bytes >= 1024, got ${String(maxMessageSize)}`);
  const maxMessages = options.maxMessages ?? 10_000;
  if (!Number.isInteger(maxMessages) || maxMessages < 0) problems.push(`max messages must be a whole number >= 0, got ${String(maxMessages)}`);
  // smtpAuth 'required' without users is allowed: accept-any with AUTH required tests that a client authenticates.
  const smtpAuth = options.smtpAuth ?? 'optional';
  if (!authModes.includes(smtpAuth)) problems.push(`smtp auth must be one of ${authModes.join(', ')}, got ${String(smtpAuth)}`);
  const logLevel = options.logLevel ?? 'info';
  if (!logLevels.includes(logLevel)) problems.push(`log level must be one of ${logLevels.join(', ')}, got ${String(logLevel)}`);
  const uiAuth = parseUiAuth(options.uiAuth, problems);
  if ((options.tls?.certFile === undefined) !== (options.tls?.keyFile === undefined)) problems.push('tls cert and tls key must be given together');
  const limits = { ...defaultLimits, ...options.limits };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v <= 0) problems.push(`limit ${k} must be a positive whole number, got ${String(v)}`);
  }
  const smtpExtensions = options.smtpExtensions === undefined ? defaultSmtpExtensions : parseSmtpExtensions(options.smtpExtensions, problems, '--smtp-extensions');
  if (options.faults !== undefined && !Array.isArray(options.faults)) problems.push('faults must be an array of fault rules');
  if (problems.length) throw new ConfigError(problems);
  const users = options.users ? { ...options.users } : undefined;
  const faultOptions = { faults: options.faults, faultsFile: options.faultsFile, smtpExtensions };
  return deepFreeze({ host, listeners, tls: { ...options.tls }, maxMessageSize, maxMessages, smtpAuth, usersFile: options.usersFile, users, uiAuth, logLevel, limits, ...faultOptions });
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

function parseUiAuth(value: string | undefined, problems: string[]): SandboxConfig['uiAuth'] {
  if (value === undefined) return undefined;
  const i = value.indexOf(':');
  if (i > 0) return { user: value.slice(0, i), pass: value.slice(i + 1) };
  problems.push('ui auth must be user:pass');
  return undefined;
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
}

interface FlagSpec {
  flag: string;
  env: string;
  help: string;
  apply(o: SandboxOptions, v: string, problems: string[]): void;
}

const portFlag = (name: ListenerName, what: string): FlagSpec => ({
  flag: `${name}-port`,
  env: `MAILSANDBOX_${name.toUpperCase()}_PORT`,
  help: `${what} port, 0 = any free port, off = disabled (default ${cliDefaultPorts[name]})`,
  apply(o, v, problems) {
    if (v === 'off') o[name] = { port: false };
    else if (/^\d+$/.test(v)) o[name] = { port: Number(v) };
    else problems.push(`--${name}-port must be a port number or off, got ${JSON.stringify(v)}`);
  },
});

const sizeFlag = (v: string): number | undefined => {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
};

export const flagSpecs: readonly FlagSpec[] = [
  { flag: 'host', env: 'MAILSANDBOX_HOST', help: 'bind address for every listener (default 127.0.0.1)', apply: (o, v) => void (o.host = v) },
  portFlag('smtp', 'SMTP (plain + STARTTLS)'),
  portFlag('smtps', 'SMTPS (implicit TLS)'),
  portFlag('pop3', 'POP3 (plain + STLS)'),
  portFlag('pop3s', 'POP3S (implicit TLS)'),
  portFlag('imap', 'IMAP (plain + STARTTLS)'),
  portFlag('imaps', 'IMAPS (implicit TLS)'),
  portFlag('http', 'HTTP (UI, REST, WebSocket)'),
  { flag: 'tls-cert', env: 'MAILSANDBOX_TLS_CERT', help: 'PEM certificate file (default: self-signed, generated at start)', apply: (o, v) => void (o.tls = { ...o.tls, certFile: v }) },
  { flag: 'tls-key', env: 'MAILSANDBOX_TLS_KEY', help: 'PEM private key file', apply: (o, v) => void (o.tls = { ...o.tls, keyFile: v }) },
  {
    flag: 'max-message-size',
    env: 'MAILSANDBOX_MAX_MESSAGE_SIZE',
    help: 'largest message accepted, bytes or 10MB/25MiB (default 25MiB)',
    apply(o, v, problems) {
      const n = sizeFlag(v);
      if (n === undefined) problems.push(`--max-message-size must be a size like 26214400 or 25MiB, got ${JSON.stringify(v)}`);
      else o.maxMessageSize = n;
    },
  },
  {
    flag: 'max-messages',
    env: 'MAILSANDBOX_MAX_MESSAGES',
    help: 'messages kept, oldest evicted first, 0 = unlimited (default 10000)',
    apply(o, v, problems) {
      if (/^\d+$/.test(v)) o.maxMessages = Number(v);
      else problems.push(`--max-messages must be a whole number, got ${JSON.stringify(v)}`);
    },
  },
  {
    flag: 'smtp-auth',
    env: 'MAILSANDBOX_SMTP_AUTH',
    help: 'off | optional | required (default optional)',
    apply(o, v, problems) {
      if ((authModes as readonly string[]).includes(v)) o.smtpAuth = v as SmtpAuthMode;
      else problems.push(`--smtp-auth must be off, optional or required, got ${JSON.stringify(v)}`);
    },
  },
  { flag: 'users', env: 'MAILSANDBOX_USERS', help: 'file of address:password lines (default: any password accepted)', apply: (o, v) => void (o.usersFile = v) },
  { flag: 'ui-auth', env: 'MAILSANDBOX_UI_AUTH', help: 'user:pass for HTTP Basic auth on the UI and API', apply: (o, v) => void (o.uiAuth = v) },
  { flag: 'faults', env: 'MAILSANDBOX_FAULTS', help: 'JSON file with an array of fault rules to load at start', apply: (o, v) => void (o.faultsFile = v) },
  {
    flag: 'smtp-extensions',
    env: 'MAILSANDBOX_SMTP_EXTENSIONS',
    help: 'SMTP extensions to offer or hide, e.g. -PIPELINING,-SMTPUTF8,+DSN',
    apply: (o, v) => void (o.smtpExtensions = v),
  },
  {
    flag: 'log-level',
    env: 'MAILSANDBOX_LOG_LEVEL',
    help: 'silent | error | warn | info | debug (default info)',
    apply(o, v, problems) {
      if ((logLevels as readonly string[]).includes(v)) o.logLevel = v as LogLevel;
      else problems.push(`--log-level must be one of ${logLevels.join(', ')}, got ${JSON.stringify(v)}`);
    },
  },
];

/** argv + env -> options for createSandbox. Flags win over env vars, env vars over defaults. Throws ConfigError. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliSettings {
  const problems: string[] = [];
  const optionDefs: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
    'json-banner': { type: 'boolean' },
  };
  for (const s of flagSpecs) optionDefs[s.flag] = { type: 'string' };
  for (const name of listenerNames) optionDefs[`no-${name}`] = { type: 'boolean' };
  // Non-strict parsing so that every problem is reported at once, not just the first.
  const { values, positionals } = parseArgs({ args: [...argv], options: optionDefs, strict: false, allowPositionals: true });
  for (const [key, value] of Object.entries(values)) {
    const def = optionDefs[key];
    const name = key.length === 1 ? `-${key}` : `--${key}`;
    if (!def) problems.push(`unknown option ${name}`);
    else if (def.type === 'string' && typeof value !== 'string') problems.push(`${name} needs a value`);
    else if (def.type === 'boolean' && typeof value !== 'boolean') problems.push(`${name} takes no value`);
  }
  for (const p of positionals) problems.push(`unexpected argument ${JSON.stringify(p)}`);
  const options: SandboxOptions = {};
  for (const name of listenerNames) options[name] = { port: cliDefaultPorts[name] };
  for (const s of flagSpecs) {
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') s.apply(options, fromEnv, problems);
  }
  for (const s of flagSpecs) {
    const v = values[s.flag];
    if (typeof v === 'string') s.apply(options, v, problems);
  }
  for (const name of listenerNames) if (values[`no-${name}`]) options[name] = { port: false };
  if (problems.length) {
    // Also list what the values that did parse get wrong (a port out of range, ui auth without a colon, ...).
    try {
      resolveConfig(options, (n) => cliDefaultPorts[n]);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
    }
    throw new ConfigError(problems);
  }
  return { options, help: !!values.help, version: !!values.version, jsonBanner: !!values['json-banner'] };
}

export function formatHelp(): string {
  const rows = flagSpecs.map((s) => [`--${s.flag} <value>`, s.env, s.help]);
  rows.push(...listenerNames.map((n) => [`--no-${n}`, '', `disable the ${n.toUpperCase()} listener`]));
  rows.push(['--json-banner', '', 'print the start-up banner as one JSON line (always printed last when not a TTY)']);
  rows.push(['-h, --help', '', 'show this help'], ['-v, --version', '', 'show the version']);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return [
    'Usage: mailsandbox [options]',
    '',
    'Fake SMTP, POP3 and IMAP servers over one in-memory store, with a web UI and REST API.',
    'Flags win over environment variables, which win over defaults.',
    '',
    ...rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`),
    '',
  ].join('\n');
}
