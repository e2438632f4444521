import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { WebhooksState } from '../api/types';
import { formatDateTime } from '../util/format';

/** How often the page re-reads the deliveries while open: retries happen on the server's clock, not on a feed event. */
const refreshMs = 2000;

/** Recent webhook deliveries with status, attempts and timing; what is configured (URLs, events, signing). */
export function WebhooksPage() {
  const [state, setState] = useState<WebhooksState | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load = () => api.webhooks().then((s) => live && (setState(s), setError(null)), (err: Error) => live && setError(err.message));
    void load();
    const t = setInterval(load, refreshMs);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, []);
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
            <tr key={d.id} data-result={d.result}>
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
