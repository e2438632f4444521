import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { FaultRule, FaultRuleInput } from '../api/types';
import { useLiveEvents, useOnReconnect } from '../state/live';
import { FaultForm } from './FaultForm';

/** The Faults page (SPEC §13): the rules with their hits, live; a form with presets to add one; remove. */
export function FaultsPage() {
  const [rules, setRules] = useState<FaultRule[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => api.faults().then(setRules, (e: Error) => setError(e.message));
  useEffect(() => void load(), []);
  useOnReconnect(() => void load());
  useLiveEvents((event) => {
    if (event.type === 'fault.added') setRules((l) => (l && !l.some((r) => r.id === event.data.id) ? [...l, event.data] : l));
    if (event.type === 'fault.removed') setRules((l) => l?.filter((r) => r.id !== event.data.id) ?? l);
    if (event.type === 'fault.cleared') setRules([]);
    // A hit counted anywhere in the sandbox (this node or, on PostgreSQL, another one) carries the rule's new count.
    if (event.type === 'fault.counted') {
      const { id, hits, spent } = event.data;
      setRules((l) => l?.map((r) => (r.id === id ? { ...r, hits, spent } : r)) ?? l);
    }
  });
  const add = async (rule: FaultRuleInput) => {
    const added = await api.addFault(rule);
    setRules((l) => (l && !l.some((r) => r.id === added.id) ? [...l, added] : l));
  };
  const remove = (id: string) => api.removeFault(id).then(() => setRules((l) => l?.filter((r) => r.id !== id) ?? l), (e: Error) => setError(e.message));
  return (
    <div class="faults-page" data-testid="faults-page">
      <h1>Faults</h1>
      <p class="muted">
        Rules that make SMTP, POP3 or IMAP misbehave on purpose, so an app's retry logic and a mail client's error handling can be
        tested. Every fault that fires is marked in the session's transcript.
      </p>
      {error && <p class="view-error" role="alert">{error}</p>}
      <FaultForm onAdd={add} />
      <h2>Rules</h2>
      {rules === null ? (
        <p class="muted">Loading…</p>
      ) : rules.length === 0 ? (
        <p class="muted" data-testid="faults-empty">No rules: every listener behaves.</p>
      ) : (
        <RuleTable rules={rules} onRemove={remove} />
      )}
    </div>
  );
}

function RuleTable({ rules, onRemove }: { rules: FaultRule[]; onRemove(id: string): void }) {
  return (
    <table class="kv fault-rules" data-testid="fault-rules">
      <thead>
        <tr>
          <th>Protocol</th>
          <th>On</th>
          <th>Match</th>
          <th>Action</th>
          <th>Counting</th>
          <th>Hits</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rules.map((r) => (
          <tr key={r.id} data-id={r.id} class={r.spent ? 'spent' : ''}>
            <td>{r.protocol.toUpperCase()}</td>
            <td>
              <code>{r.on}</code>
            </td>
            <td>{r.match ? Object.entries(r.match).map(([k, v]) => <div key={k}>{`${k}: ${v}`}</div>) : <span class="muted">any</span>}</td>
            <td>{describeAction(r)}</td>
            <td>{describeCounting(r)}</td>
            <td data-testid="fault-hits">
              {r.hits}
              {r.spent ? <span class="muted"> (spent)</span> : null}
            </td>
            <td>
              <button type="button" class="button danger" onClick={() => onRemove(r.id)} aria-label={`Remove rule ${r.id}`}>
                Remove
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function describeAction(r: FaultRule): string {
  const wait = r.delayMs && r.action !== 'delay' ? ` after ${r.delayMs} ms` : '';
  if (r.action === 'reply') return `reply ${r.reply ?? ''}${wait}`;
  if (r.action === 'disconnect') return `disconnect${r.partial ? ' mid-response' : ''}${wait}`;
  if (r.action === 'delay') return `delay ${r.delayMs ?? 0} ms`;
  return `throttle to ${r.bytesPerSecond ?? 0} B/s${wait}`;
}

function describeCounting(r: FaultRule): string {
  const parts = [r.times !== undefined ? `${r.times}×` : 'always'];
  if (r.skip) parts.push(`after ${r.skip}`);
  if (r.per) parts.push(`per ${r.per}`);
  if (r.probability !== undefined) parts.push(`p=${r.probability} seed ${r.seed ?? ''}`);
  return parts.join(', ');
}
