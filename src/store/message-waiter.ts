import { TypedEmitter } from '../shared/typed-emitter.js';
import type { MessageStore } from './message-store.js';
import type { StoredMessage } from './types.js';

/** Where counting starts: messages with a higher `seq`, or received strictly after `time` (ms since epoch). */
export type SincePoint = { seq: number } | { time: number };

export interface WaitRequest {
  match: (m: StoredMessage) => boolean;
  /** How many matching messages to collect (>= 1). */
  count: number;
  since: SincePoint;
  timeoutMs: number;
  /** Aborting releases the waiter at once (an HTTP client that went away, a test that gave up). */
  signal?: AbortSignal;
}

/** How long a wait blocks when no timeout is given (SPEC §8). */
export const defaultWaitMs = 30_000;

/** How many arrivals a waiter remembers for its timeout message. */
const maxRemembered = 10;

/** The wait ran out of time. Carries what did arrive so the caller can explain the failure. */
export class WaitTimeoutError extends Error {
  readonly code = 'WAIT_TIMEOUT';
  constructor(
    message: string,
    /** Matching messages found before the deadline (fewer than asked for). */
    readonly found: readonly StoredMessage[],
    /** Up to 10 messages (matching or not) that arrived while waiting, oldest first. */
    readonly arrived: readonly StoredMessage[],
    /** How many arrived in all. */
    readonly arrivedCount: number,
  ) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

/** Too many waits are blocked at once (`limits.maxWaiters`). */
export class WaiterLimitError extends Error {
  readonly code = 'TOO_MANY_WAITERS';
  constructor(max: number) {
    super(`Too many concurrent waits (the limit is ${max}); try again when some have finished`);
    this.name = 'WaiterLimitError';
  }
}

export class WaitAbortedError extends Error {
  readonly code = 'WAIT_ABORTED';
  constructor(message = 'The wait was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

interface Pending {
  req: WaitRequest;
  found: StoredMessage[];
  arrived: StoredMessage[];
  arrivedCount: number;
  settle(result: StoredMessage[] | Error): void;
}

/**
 * Blocking waits for mail (`GET /messages/wait`, `waitForMessage`), driven by the store's `message.added` event —
 * never polling. Capped at `maxWaiters`; each waiter is released on success, timeout, abort or {@link closeAll}.
 * The store subscription exists only while someone is waiting.
 */
export interface WaiterEvents {
  /** The number of blocked waits changed (a wait was parked or released); for monitoring and tests. */
  'waiters.changed': [active: number];
}

export class MessageWaiters extends TypedEmitter<WaiterEvents> {
  readonly #active = new Set<Pending>();
  #unsubscribe: (() => void) | null = null;

  constructor(
    readonly store: MessageStore,
    readonly maxWaiters: number,
  ) {
    super();
  }

  /** Waits currently blocked. */
  get active(): number {
    return this.#active.size;
  }

  /** Resolves with `count` matching messages, oldest first, counting those already stored after `since`. */
  wait(req: WaitRequest): Promise<StoredMessage[]> {
    if (req.signal?.aborted) return Promise.reject(new WaitAbortedError());
    const found = this.#alreadyStored(req);
    if (found.length >= req.count) return Promise.resolve(found.slice(0, req.count));
    if (this.#active.size >= this.maxWaiters) return Promise.reject(new WaiterLimitError(this.maxWaiters));
    return new Promise((resolve, reject) => {
      const pending: Pending = { req, found, arrived: [], arrivedCount: 0, settle: () => undefined };
      const onAbort = () => pending.settle(new WaitAbortedError());
      const timer = setTimeout(() => pending.settle(timeoutError(pending)), req.timeoutMs);
      let settled = false;
      pending.settle = (result) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        this.#active.delete(pending);
        if (this.#active.size === 0) this.#stopListening();
        this.emit('waiters.changed', this.#active.size);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      this.#active.add(pending);
      this.#listen();
      this.emit('waiters.changed', this.#active.size);
    });
  }

  /** Rejects every pending wait (the server is closing). */
  closeAll(reason: Error = new WaitAbortedError('The sandbox is closing')): void {
    for (const p of [...this.#active]) p.settle(reason);
  }

  #alreadyStored(req: WaitRequest): StoredMessage[] {
    const found: StoredMessage[] = [];
    const since = req.since;
    const from = 'seq' in since ? since.seq : 0;
    for (const m of this.store.since(from)) {
      if (isAfter(m, since) && req.match(m)) found.push(m);
      if (found.length >= req.count) break;
    }
    return found;
  }

  #listen(): void {
    this.#unsubscribe ??= this.store.on('message.added', (m) => this.#onAdded(m));
  }

  #stopListening(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  #onAdded(m: StoredMessage): void {
    for (const p of [...this.#active]) {
      p.arrivedCount++;
      if (p.arrived.length < maxRemembered) p.arrived.push(m);
      let matched: boolean;
      try {
        matched = isAfter(m, p.req.since) && p.req.match(m);
      } catch (err) {
        // A bug in a filter fails that one wait, never the delivery that triggered it.
        p.settle(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (!matched) continue;
      p.found.push(m);
      if (p.found.length >= p.req.count) p.settle(p.found.slice(0, p.req.count));
    }
  }
}

function isAfter(m: StoredMessage, since: SincePoint): boolean {
  return 'seq' in since ? m.seq > since.seq : m.receivedAt.getTime() > since.time;
}

function timeoutError(p: Pending): WaitTimeoutError {
  const { count, timeoutMs } = p.req;
  const message = `Timed out after ${timeoutMs} ms: ${p.found.length} of ${count} matching message${count === 1 ? '' : 's'} arrived (${p.arrivedCount} message${p.arrivedCount === 1 ? '' : 's'} arrived in all)`;
  return new WaitTimeoutError(message, p.found, p.arrived, p.arrivedCount);
}
