import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'messages'; id: string | null }
  | { page: 'sessions'; id: string | null }
  | { page: 'connect' }
  | { page: 'faults' }

  | { page: 'webhooks' };

/** Hash routes keep the server simple: it serves one index.html and never sees UI paths. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(safeDecode);
  if (parts[0] === 'sessions') return { page: 'sessions', id: parts[1] ?? null };
  if (parts[0] === 'connect') return { page: 'connect' };
  if (parts[0] === 'faults') return { page: 'faults' };
  if (parts[0] === 'webhooks') return { page: 'webhooks' };
  if (parts[0] === 'messages' && parts[1]) return { page: 'messages', id: parts[1] };
  return { page: 'messages', id: null };
}

/** A link can carry any hash; a malformed %-escape must not throw during render and blank the whole UI. */
function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function hrefFor(route: Route): string {
  if (route.page === 'connect') return '#/connect';
  if (route.page === 'faults') return '#/faults';
  if (route.page === 'webhooks') return '#/webhooks';
  const base = route.page === 'sessions' ? '#/sessions' : '#/messages';
  return route.id ? `${base}/${encodeURIComponent(route.id)}` : base;
}

export function navigate(route: Route): void {
  const href = hrefFor(route);
  if (location.hash !== href) location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
