import type { LiveEvent } from './types';

export type FeedState = 'connecting' | 'live' | 'offline';

export interface FeedStatus {
  state: FeedState;
  /** When offline: ms until the next attempt. */
  retryInMs: number;
}

export interface LiveFeedHandlers {
  onEvent(event: LiveEvent): void;
  onStatus(status: FeedStatus): void;
  /** Called after every successful (re)connect except the first, so views can catch up on what they missed. */
  onReconnect(): void;
}

const minDelay = 500;
const maxDelay = 15_000;

/**
 * The `/api/v1/events` WebSocket with automatic reconnect. Backoff doubles from 0.5 s up to 15 s with jitter
 * (so many open tabs do not hammer a restarted server at the same instant) and resets once a connection opens.
 */
export class LiveFeed {
  #socket: WebSocket | null = null;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #everConnected = false;
  #closed = false;

  constructor(private readonly handlers: LiveFeedHandlers) {}

  start(): void {
    this.#connect();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.close();
  }

  #connect(): void {
    if (this.#closed) return;
    this.handlers.onStatus({ state: 'connecting', retryInMs: 0 });
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/api/v1/events`);
    this.#socket = socket;
    socket.onopen = () => {
      this.#attempt = 0;
      this.handlers.onStatus({ state: 'live', retryInMs: 0 });
      if (this.#everConnected) this.handlers.onReconnect();
      this.#everConnected = true;
    };
    socket.onmessage = (ev) => this.#dispatch(ev.data);
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#scheduleRetry();
    };
  }

  #dispatch(data: unknown): void {
    if (typeof data !== 'string') return;
    let event: LiveEvent;
    try {
      event = JSON.parse(data) as LiveEvent;
    } catch {
      return;
    }
    if (event && typeof event.type === 'string') this.handlers.onEvent(event);
  }

  #scheduleRetry(): void {
    if (this.#closed) return;
    const delay = Math.min(maxDelay, minDelay * 2 ** this.#attempt++) * (0.8 + Math.random() * 0.4);
    this.handlers.onStatus({ state: 'offline', retryInMs: Math.round(delay) });
    this.#timer = setTimeout(() => this.#connect(), delay);
  }
}
