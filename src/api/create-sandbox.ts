import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ConfigError, listenerNames, parseUsersFile, resolveConfig } from '../config.js';
import type { ListenerName, SandboxConfig, SandboxOptions, StartTlsMode } from '../config.js';
import type { MessageStore } from '../store/message-store.js';
import { compileFilter } from '../store/query.js';
import { normalizeFlags } from '../store/flags.js';
import { toCrlf } from '../mime/crlf.js';
import { loadTlsMaterial } from '../shared/tls.js';
import type { TlsMaterial } from '../shared/tls.js';
import { createServerContext, storeOptionsOf } from '../shared/server-context.js';
import { createLogger } from '../shared/logger.js';
import type { ListenOptions, RunningServer, SandboxInfo, ServerContext, TlsMode } from '../shared/server-context.js';
import { startSmtpServer } from '../smtp/smtp-server.js';
import { startPop3Server } from '../pop3/pop3-server.js';
import { startImapServer } from '../imap/imap-server.js';
import { startHttpServer } from '../http/http-server.js';
import { toMailMessage, toSummary } from '../store/message-view.js';
import { waitForMessages } from './wait-for.js';
import { withChecks, type Checkable } from './checkable.js';
import { describeListenError } from './listen-problem.js';
import type { CheckName, CheckResults, ChecksReport } from '../checks/message-checks.js';
import { TeamServices } from './team-services.js';
import type { ReleaseResult } from '../relay/relay.js';
import type { SandboxMetrics } from '../metrics/sandbox-metrics.js';
import type { WebhookDelivery, WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import type { SendInput } from '../mime/compose-message.js';
import { sendMessage } from '../shared/send-message.js';
import type { DeliverOptions, ListOptions, MailMessage, MessageFilter, MessageSummary, WaitOptions } from './types.js';
import { localFaults, type FaultsApi } from './faults.js';
import { loadFaultRules } from './load-fault-rules.js';

/**
 * A listener's port type from its options: `null` only when turned off (`{ port: false }`), `number` when on (the
 * default), `number | null` when the options are not known at compile time.
 */
type PortOf<L> = L extends { port: false } ? null : L extends { port?: infer P } ? (false extends P ? number | null : number) : number;

/**
 * Actual port numbers. With default options every one is a `number`, so `sandbox.ports.smtp` goes straight into
 * nodemailer's `port` under `strict`; a listener turned off in the options is `null`.
 */
export type Ports<O extends SandboxOptions = SandboxOptions> = { [K in ListenerName]: K extends keyof O ? PortOf<O[K]> : number };

/** The sandbox `createSandbox(options)` returns, for a variable declared before it: `let s: SandboxWith<typeof opts>`. */
export type SandboxWith<O extends SandboxOptions> = Sandbox<{ [K in ListenerName]: K extends keyof O ? PortOf<O[K]> : number }>;

/** Any sandbox's ports: `null` for a listener that is off. */
export type AnyPorts = Record<ListenerName, number | null>;

/** `string` when HTTP is on, `null` when it was turned off. */
type UrlOf<P> = P extends number ? string : null;

const tlsModes: Record<ListenerName, TlsMode> = {
  smtp: 'starttls',
  submission: 'starttls',
  smtps: 'implicit',
  pop3: 'starttls',
  pop3s: 'implicit',
  imap: 'starttls',
  imaps: 'implicit',
  http: 'none',
};

const schemes: Record<ListenerName, string> = {
  smtp: 'smtp',
  submission: 'smtp',
  smtps: 'smtps',
  pop3: 'pop3',
  pop3s: 'pop3s',
  imap: 'imap',
  imaps: 'imaps',
  http: 'http',
};

type Starter = (ctx: ServerContext, opts: ListenOptions) => Promise<RunningServer>;

export const version: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * A running sandbox: SMTP, POP3, IMAP and HTTP over one in-memory store.
 * Create it with {@link createSandbox}.
 *
 * `P` is its port types, from the options it was created with: the sandbox `createSandbox()` returns has a `number`
 * for every listener that is on and `null` for one turned off. A bare `Sandbox` is any sandbox (ports
 * `number | null`); `Sandbox<Ports<{}>>` (or `SandboxWith<typeof options>`) names one with known options.
 */
export class Sandbox<P extends AnyPorts = AnyPorts> {
  readonly #servers: Array<[ListenerName, RunningServer]>;
  readonly #startedAt = new Date();
  #closed: Promise<void> | null = null;
  /**
   * Fault injection (SPEC §13): rules that make SMTP, POP3 or IMAP misbehave on purpose.
   * @example const rule = await sandbox.faults.add({ protocol: 'imap', on: 'FETCH', action: 'reply', reply: 'NO [UNAVAILABLE] busy', times: 1 });
   */
  readonly faults: FaultsApi;
  /** Relay, webhooks and metrics (SPEC §15). */
  readonly #team: TeamServices;

  /** @internal use {@link createSandbox} */
  constructor(
    readonly context: ServerContext,
    servers: Array<[ListenerName, RunningServer]>,
    team?: TeamServices,
  ) {
    this.#servers = servers;
    this.faults = localFaults(context.store.faults, (address, folder) => context.store.renewUidValidity(address, folder).uidValidity);
    this.#team = team ?? new TeamServices(context);
    this.#expireOld();
  }

  #ageTimer: NodeJS.Timeout | undefined;

  /** `maxAge`: messages older than it go at start, then once a minute (and at each check the store asks for). */
  #expireOld(): void {
    const maxAge = this.context.config.maxAge;
    if (!maxAge) return;
    const expire = () => this.store.evictOlderThan(new Date(Date.now() - maxAge));
    expire();
    this.#ageTimer = setInterval(expire, Math.min(60_000, Math.max(1000, maxAge / 10)));
    this.#ageTimer.unref();
  }

  /** The store itself, for advanced assertions (read it; mutate through the sandbox's methods). */
  get store(): MessageStore {
    return this.context.store;
  }

  get config(): SandboxConfig {
    return this.context.config;
  }

  /** The actual port of every listener (`null` when off). */
  get ports(): P {
    const ports: AnyPorts = Object.fromEntries(listenerNames.map((n) => [n, null])) as Record<ListenerName, null>;
    for (const [name, server] of this.#servers) ports[name] = server.port;
    return ports as P;
  }

  /** Base URL of the HTTP server (UI and REST API), e.g. `http://127.0.0.1:8025`; null when HTTP is off. */
  get url(): UrlOf<P['http']> {
    const port: number | null = this.ports.http;
    return (port === null ? null : `http://${urlHost(this.config.host)}:${port}`) as UrlOf<P['http']>;
  }

  info(): SandboxInfo {
    const host = urlHost(this.config.host);
    return {
      name: 'mailsandbox',
      version,
      startedAt: this.#startedAt.toISOString(),
      host: this.config.host,
      listeners: this.#servers.map(([name, s]) => ({ name, port: s.port, tls: this.#tlsMode(name), url: `${schemes[name]}://${host}:${s.port}` })),
      counts: { ...this.store.stats(), sessions: this.context.sessions.list().length },
      limits: { ...this.config.limits },
      maxMessageSize: this.config.maxMessageSize,
      maxMessages: this.config.maxMessages,
      maxSize: this.config.maxSize,
      smtpAuth: this.config.smtpAuth,
      tlsSelfSigned: this.context.tls.isSelfSigned,
      starttls: this.config.starttls,
      tlsFingerprint256: this.context.tls.fingerprint256,
      store: { ...this.store.location },
    };
  }

  /** The plain SMTP, POP3 and IMAP ports offer an upgrade only with `starttls` on (SPEC §3). */
  #tlsMode(name: ListenerName): TlsMode {
    const mode = tlsModes[name];
    return mode === 'starttls' && name !== 'submission' && this.config.starttls === 'off' ? 'none' : mode;
  }

  /**
   * Stored messages matching the filter, newest first (summaries, no bodies).
   * @example sandbox.messages({ query: 'to:ann@example.test is:unread' })
   */
  messages(filter: MessageFilter | string = {}, list: ListOptions = {}): Array<MessageSummary & Checkable> {
    const match = compileFilter(typeof filter === 'string' ? { query: filter } : filter, { lowerBodyText: this.context.lowerBodyText });
    const out: Array<MessageSummary & Checkable> = [];
    const offset = list.offset ?? 0;
    const limit = list.limit ?? Infinity;
    let skipped = 0;
    for (const m of this.store.newestFirst()) {
      if (out.length >= limit) break;
      if (!match(m, this.store)) continue;
      if (skipped++ < offset) continue;
      out.push(this.#checkable(toSummary(this.store, m)));
    }
    return out;
  }

  /** The full message (parsed bodies, links, codes and the raw bytes), or undefined. */
  async getMessage(id: string): Promise<(MailMessage & Checkable) | undefined> {
    const m = this.store.get(id);
    return m && this.#checkable(await toMailMessage(this.store, this.context.details, m));
  }

  /** Gives a message object `checks()` (SPEC §14), run by {@link check}. */
  #checkable<T extends { id: string }>(message: T): T & Checkable {
    return withChecks(message, (id, name) => (name ? this.check(id, name) : this.check(id)));
  }

  /**
   * Resolves with the first message matching the filter that arrives after the call (or already stored, with
   * `{ since: 'start' }`). Driven by store events, never polling. Rejects on timeout with an error that lists
   * what did arrive.
   * @example
   * const msg = await sandbox.waitForMessage({ to: 'ann@example.test', subject: /reset/i }, { timeout: 5_000 });
   * await page.goto(msg.links[0]);
   */
  async waitForMessage(filter: MessageFilter | string = {}, options: WaitOptions = {}): Promise<MailMessage & Checkable> {
    const [first] = await this.waitForMessages(filter, { ...options, count: 1 });
    return first;
  }

  /** Like {@link waitForMessage}, for `count` messages (default 1); resolves with all of them, oldest first. */
  async waitForMessages(filter: MessageFilter | string = {}, options: WaitOptions = {}): Promise<Array<MailMessage & Checkable>> {
    if (this.#closed) throw new Error('The sandbox is closed');
    const found = await waitForMessages(this.context, typeof filter === 'string' ? { query: filter } : filter, options);
    return Promise.all(found.map(async (m) => this.#checkable(await toMailMessage(this.store, this.context.details, m))));
  }

  /**
   * Puts raw RFC 5322 bytes straight into a mailbox (seeding POP3/IMAP tests).
   * @example await sandbox.deliver(eml, { to: 'bob@example.test', folder: 'INBOX', flags: ['\\Seen'] })
   */
  async deliver(raw: Buffer | string, options: DeliverOptions): Promise<MessageSummary & Checkable> {
    if (this.#closed) throw new Error('The sandbox is closed');
    const bytes = toCrlf(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
    if (bytes.length > this.config.maxMessageSize) throw new RangeError(`Message of ${bytes.length} bytes exceeds the limit of ${this.config.maxMessageSize}`);
    const to = Array.isArray(options.to) ? options.to : [options.to];
    const flags = normalizeFlags(options.flags ?? []);
    const message = await this.store.exclusive(() =>
      this.store.deliver({
        raw: bytes,
        envelope: { mailFrom: options.from ?? '', rcptTo: to },
        source: 'api',
        targets: to.map((mailbox) => ({ mailbox, folder: options.folder, flags })),
      }),
    );
    await this.store.durable();
    return this.#checkable(toSummary(this.store, message));
  }

  /**
   * The message checks of SPEC §14 for a stored message: all of them (unconfigured ones carry their error and
   * flag), or one by name (rejects with {@link CheckNotConfiguredError} when its flag is missing). Cached per message.
   * @example
   * const report = await sandbox.check(msg.id);
   * expect(report).toPassDkim();
   * const { score } = await sandbox.check(msg.id, 'html');
   */
  check(id: string): Promise<ChecksReport>;
  check<K extends CheckName>(id: string, name: K): Promise<CheckResults[K]>;
  async check(id: string, name?: CheckName): Promise<unknown> {
    const m = this.store.get(id);
    if (!m) throw new Error(`No message ${JSON.stringify(id)}`);
    return name ? this.context.checks.run(name, m) : this.context.checks.all(m);
  }

  /**
   * Builds a MIME message from fields (nodemailer's MailComposer) and stores it as received, source `api` — the same
   * as `POST /api/v1/send`. Throws a SendValidationError naming the bad field.
   * @example await sandbox.send({ from: 'app@example.test', to: 'ann+signup@example.test', subject: 'Hi', text: 'Hello', html: '<p>Hello</p>' })
   */
  async send(input: SendInput): Promise<MessageSummary & Checkable> {
    if (this.#closed) throw new Error('The sandbox is closed');
    return this.#checkable(toSummary(this.store, await sendMessage(this.context, input)));
  }

  /** Replaces a message's tags (trimmed; case kept; duplicates compared case-insensitively). Undefined when no such message. */
  setTags(id: string, tags: string[]): MessageSummary | undefined {
    // Synchronous (public API): in memory it is kept when this returns; await `store.durable()` to know a durable store
    // (SQLite, at the end of this event-loop turn; PostgreSQL) has committed it.
    if (this.store.setTags(id, tags) === undefined) return undefined;
    return toSummary(this.store, this.store.get(id)!);
  }

  /**
   * Sends the stored message's exact bytes to the configured relay (`relay` option / `--relay`), to `to` or its
   * original recipients. Rejects with a RelayError: `recipient_not_allowed` (nothing sent), `relay_failed` (the relay's
   * reply), `relay_not_configured`.
   */
  release(id: string, options: { to?: string[] } = {}): Promise<ReleaseResult> {
    return this.#team.release(id, options.to);
  }

  /** Recent webhook deliveries, newest first. */
  webhookDeliveries(): WebhookDelivery[] {
    return this.#team.webhooks.deliveries();
  }

  /** The webhook dispatcher: `on('delivery', fn)` sees each delivery queued, retried and finished. */
  get webhooks(): WebhookDispatcher {
    return this.#team.webhooks;
  }

  /** The Prometheus metrics of this sandbox (also at `GET /metrics`); fault injection reports through `context.signals`. */
  get metrics(): SandboxMetrics {
    return this.#team.metrics;
  }

  /** Deletes every message (mailboxes and folders stay). */
  clear(): void {
    // At once in memory; with a shared store (PostgreSQL) once this node holds the write lock (await
    // `store.durable()` after it to know it is committed).
    void this.store.exclusive(() => this.store.clear()).catch((err: unknown) => this.context.logger.warn('clear failed', { err }));
  }

  /** Stops every listener; resolves when all are closed. Safe to call twice. */
  close(): Promise<void> {
    if (!this.#closed) {
      const closing = Promise.all(this.#servers.map(([, s]) => s.close()));
      // Pending waitForMessage calls fail now instead of at their timeout (their timers would hold the process open).
      this.context.waiters.closeAll();
      this.#team.close();
      clearInterval(this.#ageTimer);
      // The parse workers and the store close last: a request still being answered may be waiting on a worker, and
      // the listeners' sessions may still write while they end (a POP3 QUIT commit); a shared store's connections go
      // once no session can change anything.
      this.#closed = closing.then(() => this.context.parsePool.close()).then(() => this.store.close());
    }
    return this.#closed;
  }
}

const starters: Record<ListenerName, [Starter, boolean]> = {
  smtp: [startSmtpServer, false],
  submission: [startSmtpServer, false],
  smtps: [startSmtpServer, true],
  pop3: [startPop3Server, false],
  pop3s: [startPop3Server, true],
  imap: [startImapServer, false],
  imaps: [startImapServer, true],
  http: [() => Promise.reject(new Error('http is started last')), false],
};

/**
 * Starts a sandbox. In the library every listener defaults to port 0 (any free port); read the actual
 * numbers from `sandbox.ports`. Pass `{ port: false }` to turn a listener off.
 * @example
 * const sandbox = await createSandbox();
 * // point the app at 127.0.0.1:sandbox.ports.smtp, then:
 * const msg = await sandbox.waitForMessage({ to: 'ann@example.test' });
 * await sandbox.close();
 */
export async function createSandbox<const O extends SandboxOptions = {}>(options?: O, defaultPort?: (l: ListenerName) => number): Promise<SandboxWith<O>> {
  const config = resolveConfig(options, defaultPort);
  const tls = await loadTls(config);
  const users = await loadUsers(config);
  const store = config.database ? await openDatabase(config) : undefined;
  const context = createServerContext(config, tls, users, undefined, store);
  try {
    await loadFaultRules(config, context.store.faults);
  } catch (err) {
    await context.store.close(); // releases the data directory's lock, or the database's connections
    throw err;
  }
  if (config.logLevel === 'info' || config.logLevel === 'debug') {
    // One line per stored message, so someone running the CLI sees mail arrive without opening the UI.
    context.store.on('message.added', (m) =>
      context.logger.info(`stored ${m.id} via ${m.source}: ${JSON.stringify(m.summary.subject)} from ${m.envelope.mailFrom || '<>'} to ${m.envelope.rcptTo.join(', ')}`),
    );
  }
  const servers: Array<[ListenerName, RunningServer]> = [];
  const team = new TeamServices(context);
  const sandbox: SandboxWith<O> = new Sandbox(context, servers, team);
  // Every listener is tried before giving up, so all busy ports are named in one run (SPEC §3).
  const problems = new Set<string>();
  for (const name of listenerNames) {
    const port = config.listeners[name].port;
    if (port === null) continue;
    const listen: ListenOptions = { host: config.host, port, secure: starters[name][1], starttls: startTlsOf(name, config.starttls) };
    try {
      const server = name === 'http' ? await startHttpServer(context, listen, { info: () => sandbox.info(), relay: () => team.relay, webhooks: () => team.webhooks, metrics: () => team.metrics }) : await starters[name][0](context, listen);
      servers.push([name, server]);
    } catch (err) {
      const problem = describeListenError(name, config.host, port, err as NodeJS.ErrnoException);
      if (problem === undefined) {
        await Promise.allSettled(servers.map(([, s]) => s.close()));
        await context.store.close();
        throw err;
      }
      problems.add(problem);
    }
  }
  if (problems.size) {
    await Promise.allSettled(servers.map(([, s]) => s.close()));
    await context.store.close();
    throw new ConfigError([...problems]);
  }
  return sandbox;
}

/** What a listener offers: the submission port always STARTTLS (the 587 convention), plain ports per `--starttls`. */
function startTlsOf(name: ListenerName, mode: StartTlsMode): StartTlsMode {
  if (name === 'submission') return mode === 'required' ? 'required' : 'on';
  return name === 'smtp' || name === 'pop3' || name === 'imap' ? mode : 'off';
}

/** `users` given directly, merged with the `--users` file. */
async function loadUsers(config: SandboxConfig): Promise<Record<string, string>> {
  const users = { ...(config.users ?? {}) };
  if (!config.usersFile) return users;
  let text: string;
  try {
    text = await readFile(config.usersFile, 'utf8');
  } catch (err) {
    throw new ConfigError([`users file ${config.usersFile}: ${(err as Error).message}`]);
  }
  const parsed = parseUsersFile(text);
  if (parsed.problems.length) throw new ConfigError(parsed.problems);
  // Fail closed: an empty file (or one left with only comments) would otherwise mean "any password is accepted".
  if (Object.keys(parsed.users).length === 0) {
    throw new ConfigError([`users file ${config.usersFile} lists no users (expected address:password lines); remove --users to accept any password`]);
  }
  return Object.assign(users, parsed.users);
}

/** The PostgreSQL store (issue #13): connect, migrate, replay the tenant's log; a refusal names the database. */
async function openDatabase(config: SandboxConfig): Promise<MessageStore> {
  const { url, tenant } = config.database!;
  const logger = createLogger(config.logLevel);
  // Loaded only for a sandbox on PostgreSQL: the driver is ~3 MB of heap every other sandbox would carry.
  const { openPostgresStore, redactUrl } = await import('../store/postgres/postgres-backend.js');
  try {
    return await openPostgresStore(storeOptionsOf(config), { url, tenant, logger });
  } catch (err) {
    throw new ConfigError([`database ${redactUrl(url)}: ${(err as Error).message}`]);
  }
}

async function loadTls(config: SandboxConfig): Promise<TlsMaterial> {
  try {
    return await loadTlsMaterial(config.tls.certFile, config.tls.keyFile);
  } catch (err) {
    throw new ConfigError([`TLS certificate: ${(err as Error).message}`]);
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
