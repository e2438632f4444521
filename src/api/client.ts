import type { CheckName, CheckResults, ChecksReport } from '../checks/message-checks.js';
import { withChecks, type Checkable } from './checkable.js';
import type { SandboxInfo } from '../shared/server-context.js';
import type { Protocol } from '../store/session-log.js';
import type { DeliverOptions, ListOptions, MailMessage, MessageDetails, MessageFilter, MessageSummary, SessionSummary, WaitOptions } from './types.js';
import { describeFilter, splitFilter } from './client-filter.js';
import { remoteFaults, type FaultsApi } from './faults.js';
import type { SendInput } from '../mime/compose-message.js';
import type { ReleaseResult } from '../relay/relay.js';
import type { WebhookDelivery } from '../webhooks/webhook-dispatcher.js';

export interface ClientOptions {
  /** HTTP Basic credentials (`--ui-auth`), as `user:pass` or an object. Credentials in the URL work too. */
  auth?: string | { user: string; pass: string };
}

/** A non-2xx answer from the sandbox; `code` is the API's error code (`not_found`, `timeout`, ...). */
export class MailSandboxHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'MailSandboxHttpError';
  }
}

/** The query/wait API of a sandbox, over HTTP. Create it with {@link createClient}. */
export interface MailSandboxClient {
  readonly baseUrl: string;
  /** Matching messages, newest first (summaries; `await m.checks()` runs the message checks). */
  messages(filter?: MessageFilter | string, list?: ListOptions): Promise<Array<MessageSummary & Checkable>>;
  /** The full message with its raw bytes, or undefined when there is no such message. */
  getMessage(id: string): Promise<(MailMessage & Checkable) | undefined>;
  /** The first matching message to arrive after the call (or since `options.since`). */
  waitForMessage(filter?: MessageFilter | string, options?: WaitOptions): Promise<MailMessage & Checkable>;
  /** `options.count` matching messages (default 1), oldest first. */
  waitForMessages(filter?: MessageFilter | string, options?: WaitOptions): Promise<Array<MailMessage & Checkable>>;
  /** Seeds raw RFC 5322 bytes into mailboxes (`POST /api/v1/messages`). */
  deliver(raw: Buffer | string, options: DeliverOptions): Promise<MessageSummary & Checkable>;
  /** Deletes every message; resolves with how many were deleted. */
  clear(): Promise<number>;
  /** False when there was no such message. */
  deleteMessage(id: string): Promise<boolean>;
  info(): Promise<SandboxInfo>;
  sessions(protocol?: Protocol): Promise<SessionSummary[]>;
  /** Fault injection rules (SPEC §13): `const rule = await client.faults.add({...})`, `await rule.refresh()`, `rule.hits`. */
  readonly faults: FaultsApi;
  /** The message checks (SPEC §14): all, or one by name (a 409 for an unconfigured one rejects, naming the flag). */
  check(id: string): Promise<ChecksReport>;
  check<K extends CheckName>(id: string, name: K): Promise<CheckResults[K]>;
  /** Builds and stores a message from fields (`POST /api/v1/send`); rejects with a 400 naming the bad field. */
  send(input: SendInput): Promise<MessageSummary & Checkable>;
  /** Replaces a message's tags (`PUT /api/v1/messages/:id/tags`); undefined when there is no such message. */
  setTags(id: string, tags: string[]): Promise<MessageSummary | undefined>;
  /** Sends the message to the configured relay (`POST /api/v1/messages/:id/release`). */
  release(id: string, options?: { to?: string[] }): Promise<ReleaseResult>;
  /** Recent webhook deliveries, newest first (`GET /api/v1/webhooks`). */
  webhookDeliveries(): Promise<WebhookDelivery[]>;
}

/**
 * Longest single long-poll: undici (Node's fetch) gives up waiting for response headers after 300 s, so
 * longer waits are made of several requests.
 */
const maxRequestWaitMs = 290_000;
const defaultTimeoutMs = 30_000;
/** Messages a timeout hint checks one by one against a RegExp/body filter. */
const hintDetailChecks = 10;
/** Full messages fetched at once when the client checks RegExp/body filters itself. */
const detailFetchConcurrency = 8;

/**
 * A client for a sandbox running elsewhere (CLI, container), with the same query and wait API as the
 * in-process sandbox. String filter fields become query terms and the server waits on them; RegExp and body
 * (`text`) fields are checked here on each server-side match, re-waiting until one passes or time runs out.
 * @example
 * import { createClient } from 'mailsandbox';
 * const mail = createClient('http://127.0.0.1:8025');
 * await app.requestPasswordReset('ann@example.test');
 * const msg = await mail.waitForMessage({ to: 'ann@example.test', subject: /reset/i }, { timeout: 10_000 });
 * await page.goto(msg.links[0]);
 */
export function createClient(baseUrl: string, options: ClientOptions = {}): MailSandboxClient {
  return new HttpMailClient(baseUrl, options);
}

class HttpMailClient implements MailSandboxClient {
  readonly baseUrl: string;
  readonly #authorization?: string;
  readonly faults: FaultsApi = remoteFaults({ request: (method, path, body) => this.#jsonRequest(method, path, body) });

  constructor(baseUrl: string, options: ClientOptions) {
    const url = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
    // Typically `createClient(process.env.MAILSANDBOX_URL!)` with the variable unset, or `localhost:8025`.
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
      throw new TypeError(`createClient needs the sandbox's base URL, like http://127.0.0.1:8025; got ${JSON.stringify(baseUrl) ?? String(baseUrl)}`);
    }
    let auth = typeof options.auth === 'string' ? options.auth : options.auth ? `${options.auth.user}:${options.auth.pass}` : undefined;
    // fetch refuses URLs with credentials; take them out and send them as a header instead.
    if (url.username) auth ??= `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    url.username = '';
    url.password = '';
    this.baseUrl = url.toString().replace(/\/+$/, '');
    if (auth) this.#authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  }

  async messages(filter: MessageFilter | string = {}, list: ListOptions = {}): Promise<Array<MessageSummary & Checkable>> {
    return (await this.#messages(filter, list)).map((s) => this.#checkable(s));
  }

  /** Gives a message object `checks()` (SPEC §14), run by {@link check} over HTTP. */
  #checkable<T extends { id: string }>(message: T): T & Checkable {
    return withChecks(message, (id, name) => (name ? this.check(id, name) : this.check(id)));
  }

  async #messages(filter: MessageFilter | string, list: ListOptions): Promise<MessageSummary[]> {
    const f = typeof filter === 'string' ? { query: filter } : filter;
    const { params, residual, precheck } = splitFilter(f);
    const offset = list.offset ?? 0;
    const limit = list.limit ?? 50;
    if (!residual) {
      const page = await this.#json<{ messages: MessageSummary[] }>('GET', '/api/v1/messages', { ...params, limit: String(limit), offset: String(offset) });
      return page.messages;
    }
    // RegExp/body fields: page through the server-side matches and check each one here.
    const out: MessageSummary[] = [];
    let skipped = 0;
    for (let from = 0; out.length < limit; from += 1000) {
      const page = await this.#json<{ total: number; messages: MessageSummary[] }>('GET', '/api/v1/messages', { ...params, limit: '1000', offset: String(from) });
      for (const s of await this.#passing(page.messages, residual, precheck, Math.max(0, offset - skipped) + limit - out.length)) {
        if (out.length >= limit) break;
        if (skipped++ >= offset) out.push(s);
      }
      if (from + 1000 >= page.total) break;
    }
    return out;
  }

  /**
   * The summaries whose full message passes `residual`, in order, up to `wanted` of them. Summaries the precheck
   * rules out are never fetched; the rest are fetched a few at a time (one by one, a big store took seconds).
   */
  async #passing(summaries: MessageSummary[], residual: (d: MessageDetails) => boolean, precheck: ((s: MessageSummary) => boolean) | undefined, wanted: number): Promise<MessageSummary[]> {
    const candidates = precheck ? summaries.filter(precheck) : summaries;
    const out: MessageSummary[] = [];
    for (let i = 0; i < candidates.length && out.length < wanted; i += detailFetchConcurrency) {
      const batch = candidates.slice(i, i + detailFetchConcurrency);
      const details = await Promise.all(batch.map((s) => this.#details(s.id)));
      batch.forEach((s, j) => {
        const d = details[j];
        if (d && residual(d)) out.push(s);
      });
    }
    return out;
  }

  async getMessage(id: string): Promise<(MailMessage & Checkable) | undefined> {
    const path = `/api/v1/messages/${encodeURIComponent(id)}`;
    const [details, raw] = await Promise.all([this.#details(id), this.#fetch('GET', `${path}/raw`).then(async (r) => (r.status === 404 ? undefined : Buffer.from(await (await this.#ok(r)).arrayBuffer())))]);
    return details && raw ? this.#checkable({ ...details, raw }) : undefined;
  }

  async waitForMessage(filter: MessageFilter | string = {}, options: WaitOptions = {}): Promise<MailMessage & Checkable> {
    const [first] = await this.waitForMessages(filter, { ...options, count: 1 });
    return first;
  }

  async waitForMessages(filter: MessageFilter | string = {}, options: WaitOptions = {}): Promise<Array<MailMessage & Checkable>> {
    const f = typeof filter === 'string' ? { query: filter } : filter;
    const { params, residual, precheck } = splitFilter(f);
    const count = options.count ?? 1;
    const timeoutMs = options.timeout ?? defaultTimeoutMs;
    checkWaitOptions(count, timeoutMs);
    // The deadline runs on the monotonic clock: a wall-clock step (NTP, a VM resuming) must not stretch the wait.
    const deadline = performance.now() + timeoutMs;
    // "After the call" by this machine's clock (the server's clock when both run here or in a local container);
    // one millisecond back so a message stored in the very millisecond of the call still counts.
    const calledAt = Date.now() - 1;
    let cursor: WaitCursor = { since: sinceValue(options.since) ?? String(calledAt) };
    const found: Array<MailMessage & Checkable> = [];
    while (found.length < count) {
      const timeout = Math.min(Math.max(Math.ceil(deadline - performance.now()), 1), maxRequestWaitMs);
      const res = await this.#longPoll({ ...params, count: String(count - found.length), timeout: String(timeout) }, cursor, options.signal);
      if (res.status === 408 && performance.now() < deadline) {
        // One request's worth of a longer wait ran out; drain it so the connection is reused, and wait on.
        await res.body?.cancel();
        continue;
      }
      if (res.status === 408) {
        const before = options.since === undefined ? await this.#countStoredBefore(params, residual, calledAt) : 0;
        throw await timeoutError(res, { filter: f, count, timeoutMs, found: found.length, before });
      }
      const { messages } = (await (await this.#ok(res)).json()) as { messages: MessageSummary[] };
      for (const s of messages) {
        if (precheck && !precheck(s)) continue;
        const full = await this.getMessage(s.id);
        if (full && (!residual || residual(full)) && found.length < count) found.push(full);
      }
      const last = messages[messages.length - 1];
      if (last) cursor = { since: last.id, after: last };
    }
    return found;
  }

  /** One long-poll. Resuming after a message that was deleted meanwhile (400), it resumes after its arrival time. */
  async #longPoll(query: Record<string, string>, cursor: WaitCursor, signal?: AbortSignal): Promise<Response> {
    const res = await this.#fetch('GET', '/api/v1/messages/wait', { ...query, since: cursor.since }, undefined, signal);
    if (res.status !== 400 || !cursor.after) return res;
    await res.body?.cancel();
    return this.#fetch('GET', '/api/v1/messages/wait', { ...query, since: String(Date.parse(cursor.after.receivedAt)) }, undefined, signal);
  }

  /**
   * For the timeout message: how many matching messages were already stored when the wait began (the commonest
   * reason a wait times out is mail sent before it started). Best effort; a few requests at most.
   */
  async #countStoredBefore(params: Record<string, string>, residual: ((d: MessageDetails) => boolean) | undefined, time: number): Promise<number> {
    try {
      const page = await this.#json<{ messages: MessageSummary[] }>('GET', '/api/v1/messages', { ...params, limit: '100' });
      const earlier = page.messages.filter((s) => Date.parse(s.receivedAt) <= time);
      if (!residual) return earlier.length;
      let n = 0;
      for (const s of earlier.slice(0, hintDetailChecks)) {
        const d = await this.#details(s.id);
        if (d && residual(d)) n++;
      }
      return n;
    } catch {
      return 0;
    }
  }

  async deliver(raw: Buffer | string, options: DeliverOptions): Promise<MessageSummary & Checkable> {
    const body = typeof raw === 'string' ? Buffer.from(raw.replace(/\r?\n/g, '\r\n'), 'utf8') : raw;
    const to = Array.isArray(options.to) ? options.to : [options.to];
    const params: Record<string, string> = { mailbox: to.join(',') };
    if (options.folder) params.folder = options.folder;
    if (options.flags?.length) params.flags = options.flags.join(',');
    if (options.from) params.from = options.from;
    const res = await this.#fetch('POST', '/api/v1/messages', params, body);
    return this.#checkable((await (await this.#ok(res)).json()) as MessageSummary);
  }

  async clear(): Promise<number> {
    return (await this.#json<{ deleted: number }>('DELETE', '/api/v1/messages')).deleted;
  }

  async deleteMessage(id: string): Promise<boolean> {
    const res = await this.#fetch('DELETE', `/api/v1/messages/${encodeURIComponent(id)}`);
    if (res.status === 404) return false;
    await this.#ok(res);
    return true;
  }

  info(): Promise<SandboxInfo> {
    return this.#json<SandboxInfo>('GET', '/api/v1/info');
  }

  async sessions(protocol?: Protocol): Promise<SessionSummary[]> {
    return (await this.#json<{ sessions: SessionSummary[] }>('GET', '/api/v1/sessions', protocol ? { protocol } : {})).sessions;
  }

  /** A JSON request for the faults API: undefined on 404, `true` on 204. */
  async #jsonRequest<T>(method: string, path: string, body?: unknown): Promise<T | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#authorization) headers.authorization = this.#authorization;
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new Error(`Cannot reach mailsandbox at ${this.baseUrl} (${method} ${path}): ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`, { cause: err });
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    await this.#ok(res);
    return res.status === 204 ? (true as T) : ((await res.json()) as T);
  }

  check(id: string): Promise<ChecksReport>;
  check<K extends CheckName>(id: string, name: K): Promise<CheckResults[K]>;
  async check(id: string, name?: CheckName): Promise<unknown> {
    return this.#json('GET', `/api/v1/messages/${encodeURIComponent(id)}/checks${name ? `/${name}` : ''}`);
  }

  async send(input: SendInput): Promise<MessageSummary & Checkable> {
    return this.#checkable((await (await this.#ok(await this.#fetch('POST', '/api/v1/send', {}, jsonBody(input)))).json()) as MessageSummary);
  }

  async setTags(id: string, tags: string[]): Promise<MessageSummary | undefined> {
    const res = await this.#fetch('PUT', `/api/v1/messages/${encodeURIComponent(id)}/tags`, {}, jsonBody({ tags }));
    if (res.status === 404) return undefined;
    return (await (await this.#ok(res)).json()) as MessageSummary;
  }

  async release(id: string, options: { to?: string[] } = {}): Promise<ReleaseResult> {
    const res = await this.#fetch('POST', `/api/v1/messages/${encodeURIComponent(id)}/release`, {}, jsonBody(options.to ? { to: options.to } : {}));
    return (await (await this.#ok(res)).json()) as ReleaseResult;
  }

  async webhookDeliveries(): Promise<WebhookDelivery[]> {
    return (await this.#json<{ deliveries: WebhookDelivery[] }>('GET', '/api/v1/webhooks')).deliveries;
  }

  async #details(id: string): Promise<MessageDetails | undefined> {
    const res = await this.#fetch('GET', `/api/v1/messages/${encodeURIComponent(id)}`);
    if (res.status === 404) return undefined;
    return (await (await this.#ok(res)).json()) as MessageDetails;
  }

  async #json<T>(method: string, path: string, query: Record<string, string> = {}): Promise<T> {
    return (await (await this.#ok(await this.#fetch(method, path, query))).json()) as T;
  }

  async #fetch(method: string, path: string, query: Record<string, string> = {}, body?: Buffer | JsonBody, signal?: AbortSignal): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    if (this.#authorization) headers.authorization = this.#authorization;
    if (body instanceof JsonBody) headers['content-type'] = 'application/json';
    else if (body) headers['content-type'] = 'message/rfc822';
    try {
      return await fetch(url, { method, headers, body: body ? new Uint8Array(body instanceof JsonBody ? body.bytes : body) : undefined, signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, a bad port, DNS) is in its cause.
      const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new Error(`Cannot reach mailsandbox at ${this.baseUrl} (${method} ${path}): ${reason}`, { cause: err });
    }
  }

  async #ok(res: Response): Promise<Response> {
    if (res.ok) return res;
    const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    const message = body?.error?.message ?? `HTTP ${res.status} ${res.statusText}`;
    throw new MailSandboxHttpError(res.status, body?.error?.code ?? `http_${res.status}`, `${res.url.split('?')[0]}: ${message}`, body);
  }
}

/** A request body to send as `application/json` (a plain Buffer is sent as `message/rfc822`). */
class JsonBody {
  constructor(readonly bytes: Buffer) {}
}

function jsonBody(value: unknown): JsonBody {
  return new JsonBody(Buffer.from(JSON.stringify(value), 'utf8'));
}

/** Where a re-wait resumes: the `since` parameter, and the message it names when it is one we were handed. */
interface WaitCursor {
  since: string;
  after?: MessageSummary;
}

/** The server counts mail strictly after a timestamp; a Date counts its own millisecond too, as in-process. */
function sinceValue(since: WaitOptions['since']): string | undefined {
  if (since === undefined) return undefined;
  return since instanceof Date ? String(since.getTime() - 1) : since;
}

/** The same checks as the in-process wait (which also caps the timeout; here longer waits are several requests). */
function checkWaitOptions(count: number, timeoutMs: number): void {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeout must be a positive number of ms, got ${String(timeoutMs)}`);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a whole number >= 1, got ${String(count)}`);
}

interface TimeoutReport {
  filter: MessageFilter;
  count: number;
  timeoutMs: number;
  /** Matches collected before time ran out. */
  found: number;
  /** Matching messages stored before the wait began (see #countStoredBefore). */
  before: number;
}

async function timeoutError(res: Response, { filter, count, timeoutMs, found, before }: TimeoutReport): Promise<Error> {
  const body = (await res.json().catch(() => ({}))) as { arrivedCount?: number; arrived?: Array<{ subject: string; from: string | null; to: string[] }> };
  const arrived = body.arrived ?? [];
  const lines = [`waitForMessage timed out after ${timeoutMs} ms waiting for ${count} message${count === 1 ? '' : 's'} matching ${describeFilter(filter)}; ${found} matched.`];
  if (!body.arrivedCount) lines.push('No message arrived meanwhile.');
  else {
    lines.push(`${body.arrivedCount} message${body.arrivedCount === 1 ? '' : 's'} arrived meanwhile:`);
    for (const a of arrived) lines.push(`  - ${JSON.stringify(a.subject)} from ${a.from ?? '(no sender)'} to ${a.to.join(', ') || '(no recipients)'}`);
  }
  if (before > 0) {
    lines.push(`${before} matching message${before === 1 ? ' was' : 's were'} already stored before the wait began; pass { since: 'start' } to count ${before === 1 ? 'it' : 'them'}.`);
  }
  return new MailSandboxHttpError(408, 'timeout', lines.join('\n'), body);
}
