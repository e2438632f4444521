import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import type { FeedStatus } from '../api/live-feed';
import type { LiveEvent } from '../api/types';

export interface LiveHub {
  status: FeedStatus;
  /** Increments on every reconnect after the first connection: views re-fetch to catch up. */
  reconnects: number;
  subscribe(fn: (event: LiveEvent) => void): () => void;
}

export const LiveContext = createContext<LiveHub>({
  status: { state: 'connecting', retryInMs: 0 },
  reconnects: 0,
  subscribe: () => () => undefined,
});

export function useLive(): LiveHub {
  return useContext(LiveContext);
}

/** Subscribes `handler` (always the latest closure) to every WebSocket event for the component's lifetime. */
export function useLiveEvents(handler: (event: LiveEvent) => void): void {
  const { subscribe } = useLive();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => subscribe((e) => latest.current(e)), [subscribe]);
}

/** Runs `fn` after each reconnect (not on mount). */
export function useOnReconnect(fn: () => void): void {
  const { reconnects } = useLive();
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    if (reconnects > 0) latest.current();
  }, [reconnects]);
}
