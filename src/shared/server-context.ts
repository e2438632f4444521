import { ConfigError, type ListenerName, type SandboxConfig, type StartTlsMode } from '../config.js';
import { DataDirError, SqliteBackend } from '../store/sqlite/sqlite-backend.js';
import type { StoreBackend, StoreLocation } from '../store/store-backend.js';
import { emptyDetails, MessageDetailsCache, parseMessageDetails } from '../mime/message-details.js';
import { MessageStore } from '../store/message-store.js';
import { MessageWaiters } from '../store/message-waiter.js';
import { cachedLowerBodyText, type LowerBodyTextCache } from '../store/query.js';
import { SessionLog } from '../store/session-log.js';
import type { StoredMessage } from '../store/types.js';
import { MessageChecks } from '../checks/message-checks.js';
import { Credentials } from './credentials.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import type { TlsMaterial } from './tls.js';
import { SandboxSignals } from './sandbox-signals.js';
import { offloadBytes, ParsePool } from './parse-pool.js';

/** What every protocol server and the HTTP server are given; one per sandbox (no module-level state). */
export interface ServerContext {
  readonly config: SandboxConfig;
  readonly store: MessageStore;
  readonly sessions: SessionLog;
  readonly tls: TlsMaterial;
  readonly credentials: Credentials;
  readonly logger: Logger;
  /** Blocking waits of the library and `GET /messages/wait`: one registry, so one cap covers both. */
  readonly waiters: MessageWaiters;
  /** Parsed bodies, attachments, links and codes for the message view (bounded LRU, parsed on first use). */
  readonly details: MessageDetailsCache;
  /** Message checks (SPEC §14), cached per message. */
  readonly checks: MessageChecks;
  /** Lower-cased body text for word searches (bounded LRU; the UI searches on every keystroke). */
  readonly lowerBodyText: LowerBodyTextCache;
  /** Worker threads for MIME work that could block the event loop (SPEC §10); closed with the sandbox. */
  readonly parsePool: ParsePool;
  /** Refusals and fired faults, for observers such as `/metrics`. */
  readonly signals: SandboxSignals;
}

/**
 * Builds one sandbox's state: the store, the session log and the read-side caches, all instances (parallel
 * sandboxes share nothing). Servers are started on top of it by `createSandbox()`; tests drive sessions on it directly.
 */
export function createServerContext(config: SandboxConfig, tls: TlsMaterial, users?: Readonly<Record<string, string>>, logger?: Logger, openedStore?: MessageStore): ServerContext {
  const store = openedStore ?? new MessageStore(storeOptionsOf(config), openBackend(config));
  const log = logger ?? createLogger(config.logLevel);
  const parsePool = new ParsePool();
  // Messages of 64 KiB or more are parsed in the pool, so no large or hostile message blocks the event loop (SPEC
  // §10). Smaller ones parse here: a few ms at worst, no round trip, and no worker to start (with its own ~0.5 s
  // mailparser load) in a sandbox that only ever sees small mail — twenty sandboxes in one process would pay that
  // twenty times. The price: the process's first inline parse loads mailparser on this thread once (README).
  const details = new MessageDetailsCache(undefined, undefined, (raw, subject) =>
    raw.length < offloadBytes
      ? parseMessageDetails(raw, subject)
      : parsePool.run('details', raw, subject).catch((err: unknown) => {
          log.warn('a message could not be parsed; showing its bytes as text', { err });
          return emptyDetails(raw);
        }),
  );
  store.on('message.deleted', (m) => details.delete(m.id));
  store.on('store.cleared', () => details.clear());
  const checks = new MessageChecks(config, details);
  store.on('message.deleted', (m) => checks.delete(m.id));
  store.on('store.cleared', () => checks.clear());
  const signals = new SandboxSignals();
  // Every fired rule counts in /metrics (mailsandbox_faults_fired_total), whichever protocol fired it.
  store.faults.on('fault.hit', (hit) => signals.faultFired(hit.protocol, hit.ruleId));
  return {
    config,
    store,
    sessions: new SessionLog(config.limits.sessionHistory, config.limits.transcriptLines, config.limits.sessionLogBytes),
    tls,
    credentials: new Credentials(users ?? config.users),
    logger: log,
    waiters: new MessageWaiters(store, config.limits.maxWaiters),
    details,
    checks,
    lowerBodyText: cachedLowerBodyText(),
    parsePool,
    signals,
  };
}

/**
 * The store's backend from the config: SQLite in `dataDir` (locked, checked, migrated at open), else memory.
 * A data directory that can't be used is a ConfigError: the CLI prints it and exits 1.
 */
function openBackend(config: SandboxConfig): StoreBackend | undefined {
  if (config.dataDir === undefined) return undefined;
  try {
    return SqliteBackend.open(config.dataDir, { fsync: config.fsync });
  } catch (err) {
    if (err instanceof DataDirError) throw new ConfigError([err.message]);
    throw err;
  }
}

/** The store's options from the config (a backend opened ahead, e.g. PostgreSQL, is given them too). */
export function storeOptionsOf(config: SandboxConfig) {
  const { maxFolderMessages, maxFolders, maxMailboxes } = config.limits;
  return { maxMessages: config.maxMessages, maxSize: config.maxSize, maxFolderMessages, maxFolders, maxMailboxes, quotaMessages: config.quotaMessages, quotaSize: config.quotaSize };
}

export interface ListenOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Implicit TLS (SMTPS, POP3S, IMAPS). */
  secure: boolean;
  /** On a plain listener: whether STARTTLS/STLS is offered, and whether mail and logins need it first. */
  starttls: StartTlsMode;
}

/** A listening server. `close()` stops accepting, ends sessions (bounded) and resolves when closed. */
export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

export type TlsMode = 'starttls' | 'implicit' | 'none';

export interface ListenerInfo {
  name: ListenerName;
  port: number;
  tls: TlsMode;
  url: string;
}

/** `GET /api/v1/info`. */
export interface SandboxInfo {
  name: 'mailsandbox';
  version: string;
  startedAt: string;
  host: string;
  listeners: ListenerInfo[];
  counts: { messages: number; mailboxes: number; received: number; evicted: number; evictedBy: { maxMessages: number; maxAge: number; maxSize: number }; bytes: number; sessions: number };
  limits: Record<string, number>;
  maxMessageSize: number;
  maxMessages: number;
  maxSize: number;
  smtpAuth: string;
  tlsSelfSigned: boolean;
  /** `--starttls`: whether the plain SMTP, POP3 and IMAP ports offer an upgrade. */
  starttls: StartTlsMode;
  /** SHA-256 fingerprint of the certificate in use (colon-separated hex, as `openssl x509 -fingerprint` prints it). */
  tlsFingerprint256: string;
  /** Where mail is kept: `{ kind: 'memory', path: null }` or `{ kind: 'sqlite', path: '/data' }` (`--data-dir`). */
  store: StoreLocation;
}
