import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../shared/logger.js';
import type { MessageStore } from '../store/message-store.js';
import { toSummary } from '../store/message-view.js';
import type { SessionLog, SessionRecord } from '../store/session-log.js';
import type { StoredMessage } from '../store/types.js';
import { TypedEmitter } from '../shared/typed-emitter.js';

/** The events a webhook can be sent for (the live feed's names, SPEC §8). */
export const webhookEventNames = [
  'message.added',
  'message.updated',
  'message.deleted',
  'store.cleared',
  'mailbox.added',
  'mailbox.removed',
  'session.started',
  'session.ended',
] as const;
export type WebhookEventName = (typeof webhookEventNames)[number];

export const defaultWebhookEvents: readonly WebhookEventName[] = ['message.added', 'message.deleted'];

export interface WebhookSettings {
  readonly urls: readonly string[];
  readonly secret?: string;
  readonly events: readonly WebhookEventName[];
  /** Waits before each retry; one retry per entry (SPEC §15: 1, 2, 4 and 8 s). */
  readonly retryDelaysMs: readonly number[];
  /** An attempt with no answer by then counts as failed (SPEC §15: 10 s). */
  readonly timeoutMs: number;
}

/** One event sent to one URL, as `GET /api/v1/webhooks` lists it; updated as its attempts go. */
export interface WebhookDelivery {
  id: string;
  url: string;
  event: WebhookEventName;
  /** HTTP status of the last attempt; null while none has answered (or it timed out / could not connect). */
  status: number | null;
  attempts: number;
  /** Duration of the last attempt. */
  durationMs: number;
  /** When the event happened (ISO). */
  at: string;
  result: 'pending' | 'success' | 'failure';
  /** Why the last attempt failed. */
  error: string | null;
}

export type AttemptResult = 'success' | 'retry' | 'failure';

/** Deliveries kept for `GET /api/v1/webhooks` (a ring, oldest dropped). */
const historySize = 200;
/** Deliveries queued or being retried at once; past it new ones fail at once (a dead receiver must not grow memory). */
const maxPending = 1000;

/**
 * Posts store and session events to the operator's webhook URLs (SPEC §15): `{ type, data }` JSON, signed with
 * HMAC-SHA256 when a secret is set, retried with backoff. Everything runs after the event's turn of the event loop,
 * so an SMTP `250` never waits on a receiver. URLs come only from configuration, never from mail.
 */
export interface WebhookDispatcherEvents {
  /** A delivery was queued, attempted, or finished (a copy of its state then). */
  delivery: [delivery: WebhookDelivery];
}

export class WebhookDispatcher extends TypedEmitter<WebhookDispatcherEvents> {
  readonly #history: WebhookDelivery[] = [];
  readonly #timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  readonly #closing = new AbortController();
  readonly #unsubscribe: Array<() => void> = [];
  #pending = 0;

  constructor(
    readonly settings: WebhookSettings,
    private readonly deps: { store: MessageStore; sessions: SessionLog; logger: Logger; onAttempt?: (result: AttemptResult) => void },
  ) {
    super();
    if (settings.urls.length > 0) this.#subscribe();
  }

  /** Recent deliveries, newest first. */
  deliveries(): WebhookDelivery[] {
    return this.#history.map((d) => ({ ...d })).reverse();
  }

  /** Deliveries queued, in flight or waiting to be retried. */
  get pending(): number {
    return this.#pending;
  }

  /** Stops listening, cancels retries and aborts calls in flight. */
  close(): void {
    for (const off of this.#unsubscribe) off();
    this.#closing.abort();
    for (const t of this.#timers) {
      clearTimeout(t as NodeJS.Timeout);
      clearImmediate(t as NodeJS.Immediate);
    }
    this.#timers.clear();
  }

  #subscribe(): void {
    const { store, sessions } = this.deps;
    const wanted = new Set(this.settings.events);
    // Several nodes on one database: the node that made a change posts it, the others only apply it.
    const on = (event: WebhookEventName, data: () => unknown) => wanted.has(event) && !(event !== 'session.started' && event !== 'session.ended' && store.isApplyingRemote) && this.#enqueue(event, data());
    const message = (m: StoredMessage) => toSummary(store, m);
    this.#unsubscribe.push(
      store.on('message.added', (m) => on('message.added', () => message(m))),
      store.on('message.updated', (m) => on('message.updated', () => message(m))),
      store.on('message.deleted', (m) => on('message.deleted', () => message(m))),
      store.on('store.cleared', () => on('store.cleared', () => ({}))),
      store.on('mailbox.added', (mb) => on('mailbox.added', () => ({ address: mb.address }))),
      store.on('mailbox.removed', (mb) => on('mailbox.removed', () => ({ address: mb.address }))),
      sessions.on('session.started', (s) => on('session.started', () => sessionData(s))),
      sessions.on('session.ended', (s) => on('session.ended', () => sessionData(s))),
    );
  }

  /** The body is built now (the state at the event); sending waits for a later turn of the event loop. */
  #enqueue(event: WebhookEventName, data: unknown): void {
    const body = JSON.stringify({ type: event, data });
    for (const url of this.settings.urls) {
      const delivery: WebhookDelivery = { id: randomUUID(), url, event, status: null, attempts: 0, durationMs: 0, at: new Date().toISOString(), result: 'pending', error: null };
      this.#history.push(delivery);
      if (this.#history.length > historySize) this.#history.shift();
      if (this.#pending >= maxPending) {
        this.#finish(delivery, 'failure', `more than ${maxPending} deliveries pending`);
        continue;
      }
      this.#pending++;
      this.emit('delivery', { ...delivery });
      this.#later(0, () => void this.#attempt(delivery, body));
    }
  }

  async #attempt(delivery: WebhookDelivery, body: string): Promise<void> {
    delivery.attempts++;
    const started = performance.now();
    let failure: string | null = null;
    try {
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers: this.#headers(delivery, body),
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.settings.timeoutMs), this.#closing.signal]),
      });
      delivery.status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status > 299) failure = `HTTP ${res.status}`;
    } catch (err) {
      delivery.status = null;
      const e = err as Error;
      failure = e.name === 'TimeoutError' ? `no answer within ${this.settings.timeoutMs} ms` : ((e.cause as Error | undefined)?.message ?? e.message);
    }
    delivery.durationMs = Math.round(performance.now() - started);
    if (this.#closing.signal.aborted) return;
    if (failure === null) return this.#finish(delivery, 'success', null);
    const delay = this.settings.retryDelaysMs[delivery.attempts - 1];
    if (delay === undefined) return this.#finish(delivery, 'failure', failure);
    delivery.error = failure;
    this.deps.onAttempt?.('retry');
    this.emit('delivery', { ...delivery });
    this.#later(delay, () => void this.#attempt(delivery, body));
  }

  #headers(delivery: WebhookDelivery, body: string): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'mailsandbox-webhook',
      'x-mailsandbox-event': delivery.event,
      'x-mailsandbox-delivery': delivery.id,
    };
    if (this.settings.secret) headers['x-mailsandbox-signature'] = `sha256=${createHmac('sha256', this.settings.secret).update(body).digest('hex')}`;
    return headers;
  }

  #finish(delivery: WebhookDelivery, result: 'success' | 'failure', error: string | null): void {
    if (delivery.result === 'pending' && delivery.attempts > 0) this.#pending--;
    delivery.result = result;
    delivery.error = error;
    this.deps.onAttempt?.(result);
    this.emit('delivery', { ...delivery });
    if (result === 'failure') this.deps.logger.warn(`webhook ${delivery.event} to ${delivery.url} failed after ${delivery.attempts} attempt(s): ${error ?? ''}`);
  }

  #later(ms: number, fn: () => void): void {
    const run = () => {
      this.#timers.delete(timer);
      fn();
    };
    const timer: NodeJS.Timeout | NodeJS.Immediate = ms > 0 ? setTimeout(run, ms) : setImmediate(run);
    this.#timers.add(timer);
  }
}

function sessionData(s: SessionRecord): Record<string, unknown> {
  return {
    id: s.id,
    protocol: s.protocol,
    startedAt: s.startedAt.toISOString(),
    endedAt: s.endedAt?.toISOString() ?? null,
    remoteAddress: s.remoteAddress,
    tls: s.tls,
    user: s.user,
  };
}
