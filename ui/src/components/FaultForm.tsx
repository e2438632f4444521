import { useState } from 'preact/hooks';
import type { FaultRule, FaultRuleInput, Protocol } from '../api/types';

type Action = FaultRule['action'];
type MatchField = 'to' | 'from' | 'subject' | 'user' | 'mailbox';

interface FormState {
  protocol: Protocol;
  on: string;
  matchField: MatchField;
  matchValue: string;
  action: Action;
  reply: string;
  delayMs: string;
  bytesPerSecond: string;
  partial: boolean;
  times: string;
  per: string;
}

const blank: FormState = { protocol: 'smtp', on: 'rcpt', matchField: 'to', matchValue: '', action: 'reply', reply: '451 4.7.1 Try again later', delayMs: '', bytesPerSecond: '', partial: false, times: '', per: '' };

/** The presets of issue 14: each fills the form, which stays editable before it is added. */
export const presets: ReadonlyArray<{ id: string; label: string; state: Partial<FormState> }> = [
  { id: 'greylisting', label: 'Greylisting (451 on the first attempt of each sender+recipient)', state: { protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Greylisted, try again later', times: '1', per: 'sender+recipient' } },
  { id: 'reject-recipient', label: 'Reject this recipient', state: { protocol: 'smtp', on: 'rcpt', matchField: 'to', matchValue: 'ann@example.test', action: 'reply', reply: '550 5.1.1 No such user here' } },
  { id: 'busy-greeting', label: 'Server busy at greeting', state: { protocol: 'smtp', on: 'connect', action: 'reply', reply: '421 4.3.2 Server busy, try again later' } },
  { id: 'drop-mid-data', label: 'Drop mid-DATA', state: { protocol: 'smtp', on: 'data', action: 'disconnect', partial: true, reply: '' } },
  { id: 'imap-fetch-fails-once', label: 'IMAP FETCH fails once', state: { protocol: 'imap', on: 'FETCH', action: 'reply', reply: 'NO [UNAVAILABLE] Try again later', times: '1' } },
  { id: 'slow-imap', label: 'Slow IMAP (2 KB/s for the whole session)', state: { protocol: 'imap', on: 'connect', action: 'throttle', bytesPerSecond: '2048', reply: '' } },
];

const onHints: Record<Protocol, string> = {
  smtp: 'connect, ehlo, starttls, auth, mail, rcpt, data, message',
  pop3: 'connect, auth, or a command: RETR, TOP, LIST, UIDL, STAT, DELE, QUIT…',
  imap: 'connect, auth, or a command: SELECT, FETCH, STORE, SEARCH, APPEND, IDLE…',
};

/** The add-a-rule form; the server validates, and its 400 (naming the field) is shown as is. */
export function FaultForm({ onAdd }: { onAdd(rule: FaultRuleInput): Promise<void> }) {
  const [form, setForm] = useState<FormState>(blank);
  const [preset, setPreset] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const set = (patch: Partial<FormState>) => setForm((f) => ({ ...f, ...patch }));
  const choose = (id: string) => {
    setPreset(id);
    const p = presets.find((x) => x.id === id);
    if (p) setForm({ ...blank, ...p.state });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onAdd(toRule(form));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const text = (key: keyof FormState, label: string, attrs: Record<string, string> = {}) => (
    <label class="field">
      <span>{label}</span>
      <input name={key} value={String(form[key])} onInput={(e) => set({ [key]: (e.target as HTMLInputElement).value })} {...attrs} />
    </label>
  );
  return (
    <form class="fault-form" onSubmit={submit} data-testid="fault-form">
      <label class="field wide">
        <span>Preset</span>
        <select name="preset" value={preset} onChange={(e) => choose((e.target as HTMLSelectElement).value)}>
          <option value="">Custom rule</option>
          {presets.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Protocol</span>
        <select name="protocol" value={form.protocol} onChange={(e) => set({ protocol: (e.target as HTMLSelectElement).value as Protocol })}>
          <option value="smtp">SMTP</option>
          <option value="pop3">POP3</option>
          <option value="imap">IMAP</option>
        </select>
      </label>
      {text('on', 'On', { title: onHints[form.protocol], placeholder: onHints[form.protocol] })}
      <label class="field">
        <span>Match</span>
        <span class="field-pair">
          <select name="matchField" value={form.matchField} onChange={(e) => set({ matchField: (e.target as HTMLSelectElement).value as MatchField })}>
            {(['to', 'from', 'subject', 'user', 'mailbox'] as const).map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
          <input name="matchValue" value={form.matchValue} placeholder="any (substring or /regex/i)" onInput={(e) => set({ matchValue: (e.target as HTMLInputElement).value })} />
        </span>
      </label>
      <label class="field">
        <span>Action</span>
        <select name="action" value={form.action} onChange={(e) => set({ action: (e.target as HTMLSelectElement).value as Action })}>
          <option value="reply">reply</option>
          <option value="disconnect">disconnect</option>
          <option value="delay">delay</option>
          <option value="throttle">throttle</option>
        </select>
      </label>
      {form.action === 'reply' && text('reply', 'Reply', { placeholder: '451 4.7.1 … | -ERR … | NO … / BYE …' })}
      {text('delayMs', 'Delay (ms)', { inputMode: 'numeric' })}
      {form.action === 'throttle' && text('bytesPerSecond', 'Bytes per second', { inputMode: 'numeric' })}
      {form.action === 'disconnect' && (
        <label class="field check">
          <input type="checkbox" name="partial" checked={form.partial} onChange={(e) => set({ partial: (e.target as HTMLInputElement).checked })} />
          <span>after part of the response</span>
        </label>
      )}
      {text('times', 'Times', { inputMode: 'numeric', placeholder: 'always' })}
      <label class="field">
        <span>Count per</span>
        <select name="per" value={form.per} onChange={(e) => set({ per: (e.target as HTMLSelectElement).value })}>
          <option value="">whole rule</option>
          {['sender+recipient', 'sender', 'recipient', 'user', 'connection'].map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <div class="fault-form-actions">
        <button type="submit" class="button" disabled={isBusy} data-testid="add-fault">
          Add rule
        </button>
        {error && (
          <span class="view-error" role="alert" data-testid="fault-error">
            {error}
          </span>
        )}
      </div>
    </form>
  );
}

/** Only what was filled in; numbers as numbers, so the server's validation speaks to the user. */
function toRule(f: FormState): FaultRuleInput {
  const rule: FaultRuleInput = { protocol: f.protocol, on: f.on.trim(), action: f.action };
  if (f.matchValue.trim()) rule.match = { [f.matchField]: f.matchValue.trim() };
  if (f.action === 'reply') rule.reply = f.reply;
  const num = (v: string) => (v.trim() === '' ? undefined : Number(v));
  if (num(f.delayMs) !== undefined) rule.delayMs = num(f.delayMs);
  if (f.action === 'throttle') rule.bytesPerSecond = num(f.bytesPerSecond);
  if (f.action === 'disconnect' && f.partial) rule.partial = true;
  if (num(f.times) !== undefined) rule.times = num(f.times);
  if (f.per) rule.per = f.per;
  return rule;
}
