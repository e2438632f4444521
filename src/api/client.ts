import type { SandboxInfo } from '../shared/server-context.js';
import type { Protocol } from '../store/session-log.js';
import type { DeliverOptions, ListOptions, MailMessage, MessageDetails, MessageFilter, MessageSummary, SessionSummary, WaitOptions } from './types.js';
import { describeFilter, splitFilter } from './client-filter.js';

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
  /** Matching messages, newest first (summaries). */
  messages(filter?: MessageFilter | string, list?: ListOptions): Promise<MessageSummary[]>;
  /** The full message with its raw bytes, or undefined when there is no such message. */
  getMessage(id: string): Promise<MailMessage | undefined>;
  /** The first matching message to arrive after the call (or since `options.since`). */
  waitForMessage(filter?: MessageFilter | string, options?: WaitOptions): Promise<MailMessage>;
  /** `options.count` matching messages (default 1), oldest first. */
  waitForMessages(filter?: MessageFilter | string, options?: WaitOptions): Promise<MailMessage[]>;
  /** Seeds raw RFC 5322 bytes into mailboxes (`POST /api/v1/messages`). */
  deliver(raw: Buffer | string, options: DeliverOptions): Promise<MessageSummary>;
  /** Deletes every message; resolves with how many were deleted. */
  clear(): Promise<number>;
  /** False when there was no such message. */
  deleteMessage(id: string): Promise<boolean>;
  info(): Promise<SandboxInfo>;
  sessions(protocol?: Protocol): Promise<SessionSummary[]>;
}

/**
 * Longest single long-poll: undici (Node's fetch) gives up waiting for response headers after 300 s, so
 * longer waits are made of several requests.
 */
const maxRequestWaitMs = 290_000;
const defaultTimeoutMs = 30_000;

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

  constructor(baseUrl: string, options: ClientOptions) {
    const url = new URL(baseUrl);
    let auth = typeof options.auth === 'string' ? options.auth : options.auth ? `${options.auth.user}:${options.auth.pass}` : undefined;
    // fetch refuses URLs with credentials; take them out and send them as a header instead.
    if (url.username) auth ??= `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    url.username = '';
    url.password = '';
    this.baseUrl = url.toString().replace(/\/+$/, '');
    if (auth) this.#authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  }

  async messages(filter: MessageFilter | string = {}, list: ListOptions = {}): Promise<MessageSummary[]> {
    const f = typeof filter === 'string' ? { query: filter } : filter;
    const { params, residual } = splitFilter(f);
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
      for (const s of page.messages) {
        if (out.length >= limit) break;
        const d = await this.#details(s.id);
        if (!d || !residual(d)) continue;
        if (skipped++ >= offset) out.push(s);
      }
      if (from + 1000 >= page.total) break;
    }
    return out;
  }

  async getMessage(id: string): Promise<MailMessage | undefined> {
    const path = `/api/v1/messages/${encodeURIComponent(id)}`;
    const [details, raw] = await Promise.all([this.#details(id), this.#fetch('GET', `${path}/raw`).then(async (r) => (r.status === 404 ? undefined : Buffer.from(await (await this.#ok(r)).arrayBuffer())))]);
    return details && raw ? { ...details, raw } : undefined;
  }

  async waitForMessage(filter: MessageFilter | string = {}, options: WaitOptions = {}): Promise<MailMessage> {
    const [first] = await this.waitForMessages(filter, { ...options, count: 1 });
    return first;
  }

  async waitForMessages(filter: MessageFilter | string = {}, options: WaitOptions = {}): Promise<MailMessage[]> {
    const f = typeof filter === 'string' ? { query: filter } : filter;
    const { params, residual } = splitFilter(f);
    const count = options.count ?? 1;
    const deadline = Date.now() + (options.timeout ?? defaultTimeoutMs);
    // "After the call" by this machine's clock (the server's clock when both run here or in a local container);
    // one millisecond back so a message stored in the very millisecond of the call still counts.
    let cursor: WaitCursor = { since: sinceValue(options.since) ?? String(Date.now() - 1) };
    const found: MailMessage[] = [];
    while (found.length < count) {
      const timeout = Math.min(Math.max(deadline - Date.now(), 1), maxRequestWaitMs);
      const res = await this.#longPoll({ ...params, count: String(count - found.length), timeout: String(timeout) }, cursor, options.signal);
      if (res.status === 408 && Date.now() < deadline) {
        // One request's worth of a longer wait ran out; drain it so the connection is reused, and wait on.
        await res.body?.cancel();
        continue;
      }
      if (res.status === 408) throw await timeoutError(res, f, count, found.length);
      const { messages } = (await (await this.#ok(res)).json()) as { messages: MessageSummary[] };
      for (const s of messages) {
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

  async deliver(raw: Buffer | string, options: DeliverOptions): Promise<MessageSummary> {
    const body = typeof raw === 'string' ? Buffer.from(raw.replace(/\r?\n/g, '\r\n'), 'utf8') : raw;
    const to = Array.isArray(options.to) ? options.to : [options.to];
    const params: Record<string, string> = { mailbox: to.join(',') };
    if (options.folder) params.folder = options.folder;
    if (options.flags?.length) params.flags = options.flags.join(',');
    if (options.from) params.from = options.from;
    const res = await this.#fetch('POST', '/api/v1/messages', params, body);
    return (await (await this.#ok(res)).json()) as MessageSummary;
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

  async #details(id: string): Promise<MessageDetails | undefined> {
    const res = await this.#fetch('GET', `/api/v1/messages/${encodeURIComponent(id)}`);
    if (res.status === 404) return undefined;
    return (await (await this.#ok(res)).json()) as MessageDetails;
  }

  async #json<T>(method: string, path: string, query: Record<string, string> = {}): Promise<T> {
    return (await (await this.#ok(await this.#fetch(method, path, query))).json()) as T;
  }

  #fetch(method: string, path: string, query: Record<string, string> = {}, body?: Buffer, signal?: AbortSignal): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    if (this.#authorization) headers.authorization = this.#authorization;
    if (body) headers['content-type'] = 'message/rfc822';
    return fetch(url, { method, headers, body: body ? new Uint8Array(body) : undefined, signal });
  }

  async #ok(res: Response): Promise<Response> {
    if (res.ok) return res;
    const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    const message = body?.error?.message ?? `HTTP ${res.status} ${res.statusText}`;
    throw new MailSandboxHttpError(res.status, body?.error?.code ?? `http_${res.status}`, `${res.url.split('?')[0]}: ${message}`, body);
  }
}

/** Where a re-wait resumes: the `since` parameter, and the message it names when it is one we were handed. */
interface WaitCursor {
  since: string;
  after?: MessageSummary;
}

function sinceValue(since: WaitOptions['since']): string | undefined {
  if (since === undefined) return undefined;
  return since instanceof Date ? String(since.getTime()) : since;
}

async function timeoutError(res: Response, filter: MessageFilter, count: number, found: number): Promise<Error> {
  const body = (await res.json().catch(() => ({}))) as { arrivedCount?: number; arrived?: Array<{ subject: string; from: string | null; to: string[] }> };
  const arrived = body.arrived ?? [];
  const lines = [`waitForMessage timed out waiting for ${count} message${count === 1 ? '' : 's'} matching ${describeFilter(filter)}; ${found} matched.`];
  if (!body.arrivedCount) lines.push('No message arrived meanwhile.');
  else {
    lines.push(`${body.arrivedCount} message${body.arrivedCount === 1 ? '' : 's'} arrived meanwhile:`);
    for (const a of arrived) lines.push(`  - ${JSON.stringify(a.subject)} from ${a.from ?? '(no sender)'} to ${a.to.join(', ') || '(no recipients)'}`);
  }
  return new MailSandboxHttpError(408, 'timeout', lines.join('\n'), body);
}
