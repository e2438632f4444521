import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { WebhookDelivery, WebhooksState } from '../api/types';
import { useLiveEvents, useOnReconnect } from '../state/live';
import { formatDateTime } from '../util/format';

/** As many as the server keeps (`GET /api/v1/webhooks` lists the last 200). */
const maxShown = 200;

/** How far a delivery has got: each attempt, and its outcome after the last one. Older news never overwrites newer. */
const progress = (d: WebhookDelivery) => d.attempts * 2 + (d.result === 'pending' ? 0 : 1);

/** The list with one delivery's news applied: a known one updated in place, a new one on top. */
function upsert(deliveries: WebhookDelivery[], d: WebhookDelivery): WebhookDelivery[] {
  const i = deliveries.findIndex((x) => x.id === d.id);
  if (i === -1) return [d, ...deliveries].slice(0, maxShown);
  if (progress(d) < progress(deliveries[i])) return deliveries;
  const next = deliveries.slice();
  next[i] = d;
  return next;
}

/**
 * Recent webhook deliveries with status, attempts and timing; what is configured (URLs, events, signing). Read once,
 * then kept current by the live feed's `webhook.delivery` frames (queued, each retry, the outcome); after a
 * reconnect it is read again, since frames sent while offline are lost.
 */
export function WebhooksPage() {
  const [state, setState] = useState<WebhooksState | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Frames that arrive while the list is being read are applied to it once it is here.
  const early = useRef<WebhookDelivery[]>([]);
  const loaded = useRef(false);
  const load = () =>
    api.webhooks().then(
      (s) => {
        loaded.current = true;
        setState({ ...s, deliveries: early.current.splice(0).reduce(upsert, s.deliveries) });
        setError(null);
      },
      (err: Error) => setError(err.message),
    );
  useEffect(() => void load(), []);
  useOnReconnect(() => void load());
  useLiveEvents((event) => {
    if (event.type !== 'webhook.delivery') return;
    if (!loaded.current) early.current.push(event.data);
    else setState((s) => s && { ...s, deliveries: upsert(s.deliveries, event.data) });
  });
  if (error) return <p class="view-error" role="alert">Could not load webhooks: {error}</p>;
  if (!state) return <p class="view-loading">Loading…</p>;
  return (
    <section class="webhooks-page" data-testid="webhooks-page">
      <h1>Webhooks</h1>
      {state.urls.length === 0 ? (
        <p class="muted" data-testid="webhooks-none">
          No webhook is configured. Start with <code>--webhook https://example.test/hook</code> (repeatable), <code>--webhook-secret</code> to sign, and{' '}
          <code>--webhook-events</code> to choose events.
        </p>
      ) : (
        <p class="muted" data-testid="webhooks-config">
          Sending {state.events.join(', ')} to {state.urls.join(', ')}
          {state.signed ? ', signed (X-Mailsandbox-Signature)' : ', unsigned'}.
        </p>
      )}
      <table class="webhooks-table" data-testid="webhooks-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Event</th>
            <th>URL</th>
            <th>Result</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Time</th>
          </tr>
        </thead>
        <tbody>
          {state.deliveries.map((d) => (
            <tr key={d.id} data-id={d.id} data-result={d.result} data-attempts={d.attempts}>
              <td>{formatDateTime(d.at)}</td>
              <td>{d.event}</td>
              <td class="url">{d.url}</td>
              <td class={`result-${d.result}`} title={d.error ?? undefined}>
                {d.result}
                {d.error ? ` (${d.error})` : ''}
              </td>
              <td>{d.status ?? '—'}</td>
              <td>{d.attempts}</td>
              <td>{d.durationMs} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
      {state.deliveries.length === 0 && <p class="muted">No deliveries yet.</p>}
    </section>
  );
}
