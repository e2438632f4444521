import { useLayoutEffect, useMemo, useState } from 'preact/hooks';
import { LiveFeed } from '../api/live-feed';
import type { FeedStatus } from '../api/live-feed';
import type { LiveEvent } from '../api/types';
import { LiveContext } from '../state/live';
import type { LiveHub } from '../state/live';
import { useRoute } from '../state/router';
import { useTheme } from '../state/theme';
import { Header } from './Header';
import { MessagesPage } from './MessagesPage';
import { SessionsPage } from './SessionsPage';
import { ConnectPanel } from './ConnectPanel';
import { FaultsPage } from './FaultsPage';
import { WebhooksPage } from './WebhooksPage';

export function App() {
  const route = useRoute();
  const [theme, cycleTheme] = useTheme();
  const [status, setStatus] = useState<FeedStatus>({ state: 'connecting', retryInMs: 0 });
  const [reconnects, setReconnects] = useState(0);
  // One listener set per app instance; the feed fans each frame out to the views that are mounted.
  const listeners = useMemo(() => new Set<(e: LiveEvent) => void>(), []);

  // A layout effect runs right after the first render instead of after the first paint, so the socket's handshake
  // overlaps the first page's fetch rather than following it.
  useLayoutEffect(() => {
    const feed = new LiveFeed({
      onEvent: (event) => listeners.forEach((fn) => fn(event)),
      onStatus: setStatus,
      onReconnect: () => setReconnects((n) => n + 1),
    });
    feed.start();
    return () => feed.close();
  }, [listeners]);

  const subscribe = useMemo(
    () => (fn: (e: LiveEvent) => void) => {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    [listeners],
  );
  const hub = useMemo<LiveHub>(() => ({ status, reconnects, subscribe }), [status, reconnects, subscribe]);

  return (
    <LiveContext.Provider value={hub}>
      <div class="app">
        <Header route={route} theme={theme} onCycleTheme={cycleTheme} status={status} />
        <main class="main">
          {route.page === 'messages' && <MessagesPage openId={route.id} />}
          {route.page === 'sessions' && <SessionsPage openId={route.id} />}
          {route.page === 'connect' && <ConnectPanel />}
          {route.page === 'faults' && <FaultsPage />}
          {route.page === 'webhooks' && <WebhooksPage />}
        </main>
      </div>
    </LiveContext.Provider>
  );
}
