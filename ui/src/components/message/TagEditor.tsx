import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { MessageDetails } from '../../api/types';

/**
 * Tags of the open message: each chip has a remove button, and a field adds one (Enter or comma). Every change is
 * one PUT of the whole list; the live feed's `message.updated` brings the server's normalised list back.
 */
export function TagEditor({ message, onChange }: { message: MessageDetails; onChange(tags: string[]): void }) {
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const save = (tags: string[]) => {
    setError(null);
    api.setTags(message.id, tags).then(
      (s) => onChange(s.tags),
      (err: Error) => setError(err.message),
    );
  };
  const add = () => {
    const more = draft.split(',').map((t) => t.trim()).filter(Boolean);
    setDraft('');
    if (more.length) save([...message.tags, ...more]);
  };
  return (
    <div class="tag-editor" data-testid="tag-editor">
      {message.tags.map((t) => (
        <span key={t} class="tag-chip" data-tag={t}>
          {t}
          <button type="button" class="tag-remove" aria-label={`Remove tag ${t}`} title={`Remove tag ${t}`} onClick={() => save(message.tags.filter((x) => x !== t))}>
            ×
          </button>
        </span>
      ))}
      <input
        class="tag-input"
        type="text"
        placeholder="Add tag…"
        aria-label="Add a tag"
        value={draft}
        maxLength={100}
        onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ',') {
            e.preventDefault();
            add();
          }
        }}
        onBlur={add}
        data-testid="tag-input"
      />
      {error && <span class="error" role="alert">{error}</span>}
    </div>
  );
}
