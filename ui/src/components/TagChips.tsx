import type { RelayRecord } from '../api/types';
import { formatDateTime } from '../util/format';

/** A message's tags as chips; a click on one filters the list by it (when `onPick` is given). */
export function TagChips({ tags, onPick, max }: { tags: string[]; onPick?(tag: string): void; max?: number }) {
  if (tags.length === 0) return null;
  const shown = max !== undefined ? tags.slice(0, max) : tags;
  return (
    <span class="tag-chips" data-testid="tag-chips">
      {shown.map((t) =>
        onPick ? (
          <button type="button" key={t} class="tag-chip" onClick={(e) => (e.preventDefault(), e.stopPropagation(), onPick(t))} title={`Show mail tagged ${t}`} data-tag={t}>
            {t}
          </button>
        ) : (
          <span key={t} class="tag-chip" data-tag={t}>
            {t}
          </span>
        ),
      )}
      {shown.length < tags.length && <span class="tag-chip more">+{tags.length - shown.length}</span>}
    </span>
  );
}

/** "Relayed" (or "Relay failed") for the latest release, with where, when and to whom in the title. */
export function RelayBadge({ relays }: { relays: RelayRecord[] }) {
  const last = relays[relays.length - 1];
  if (!last) return null;
  const title = `${last.ok ? 'Relayed' : 'Relay failed'} to ${last.to.join(', ')} via ${last.relay} at ${formatDateTime(last.at)}: ${last.reply}`;
  return (
    <span class={'relay-badge' + (last.ok ? '' : ' failed')} title={title} data-testid="relay-badge" data-ok={String(last.ok)}>
      {last.ok ? 'relayed' : 'relay failed'}
    </span>
  );
}
