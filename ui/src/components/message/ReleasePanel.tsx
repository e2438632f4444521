import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api/client';
import type { MessageDetails, RelayInfo } from '../../api/types';
import { isAllowed } from '../../util/allow-list';

/**
 * Release to the configured relay: the recipients (the original ones by default) and what the allow-list permits,
 * so the user sees before sending which addresses will be refused. The relay's own reply, or its refusal, is shown.
 */
export function ReleasePanel({ message, onClose }: { message: MessageDetails; onClose(): void }) {
  const [relay, setRelay] = useState<RelayInfo | null>(null);
  const [to, setTo] = useState(message.envelope.rcptTo.join(', '));
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    api.relay().then(setRelay, (err: Error) => setOutcome({ ok: false, text: err.message }));
  }, []);
  const list = to.split(/[,\s]+/).filter(Boolean);
  const send = () => {
    setBusy(true);
    setOutcome(null);
    api.release(message.id, list).then(
      (r) => setOutcome({ ok: true, text: `Relayed to ${r.relayedTo.join(', ')}: ${r.reply}` }),
      (err: Error) => setOutcome({ ok: false, text: err instanceof ApiError ? err.message : String(err) }),
    ).finally(() => setBusy(false));
  };
  if (relay && !relay.configured) {
    return (
      <div class="release-panel" data-testid="release-panel">
        <p>No relay is configured. Start the sandbox with <code>--relay smtp://user:pass@host:587</code> and <code>--relay-allow '*@example.com'</code>.</p>
        <button type="button" class="button" onClick={onClose}>Close</button>
      </div>
    );
  }
  return (
    <div class="release-panel" data-testid="release-panel">
      <label class="release-field">
        <span>Release to</span>
        <input type="text" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} aria-label="Release to" data-testid="release-to" />
      </label>
      <p class="muted" data-testid="release-allowed">
        {relay ? (relay.allow.length ? `Via ${relay.relay}; allowed recipients: ${relay.allow.join(', ')}` : `Via ${relay.relay}; the allow-list is empty, so nothing can be released (--relay-allow).`) : 'Loading…'}
      </p>
      {relay && list.length > 0 && (
        <ul class="release-check" data-testid="release-check">
          {list.map((a) => {
            const ok = isAllowed(relay.allow, a);
            return (
              <li key={a} class={ok ? 'allowed' : 'refused'} data-allowed={String(ok)}>
                {ok ? '✓' : '✗'} {a}
                {ok ? '' : ' — not allowed, nothing would be sent'}
              </li>
            );
          })}
        </ul>
      )}
      <div class="release-actions">
        <button type="button" class="button primary" onClick={send} disabled={busy || !relay} data-testid="release-send">
          {busy ? 'Sending…' : 'Release'}
        </button>
        <button type="button" class="button" onClick={onClose}>Close</button>
      </div>
      {outcome && (
        <p class={outcome.ok ? 'release-ok' : 'error'} role={outcome.ok ? 'status' : 'alert'} data-testid="release-outcome">
          {outcome.text}
        </p>
      )}
    </div>
  );
}
