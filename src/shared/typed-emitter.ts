import { EventEmitter } from 'node:events';

/**
 * An emitter whose `on()` accepts only declared event names, with typed arguments.
 * `on()` returns the unsubscribe function, so subscribers can't forget which listener to remove.
 */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  readonly #inner = new EventEmitter();

  constructor() {
    // Every IMAP session, WebSocket and waiter subscribes; hundreds of listeners are normal here.
    this.#inner.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, fn: (...args: E[K]) => void): () => void {
    this.#inner.on(event, fn as (...a: unknown[]) => void);
    return () => this.#inner.off(event, fn as (...a: unknown[]) => void);
  }

  /** Whether anyone listens: an event whose arguments cost something to make can skip making them. */
  protected hasListeners(event: keyof E & string): boolean {
    return this.#inner.listenerCount(event) > 0;
  }

  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    this.#inner.emit(event, ...args);
  }
}
