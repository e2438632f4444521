import { useEffect, useState } from 'preact/hooks';
import { api, urls } from '../../api/client';

// Rendering megabytes of base64 in one <pre> freezes the tab; the full source stays one click away.
const displayLimit = 512 * 1024;

export function SourceTab({ id }: { id: string }) {
  const [raw, setRaw] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.getRaw(id).then(setRaw, (e: Error) => setError(e.message));
  }, [id]);
  if (error) return <p class="view-error" role="alert">Could not load the source: {error}</p>;
  if (raw === null) return <p class="muted">Loading…</p>;
  const cut = raw.length > displayLimit;
  return (
    <div class="source-tab">
      <p class="source-bar">
        <a href={urls.raw(id)} download={`${id}.eml`}>
          Download .eml
        </a>
        {cut && <span class="muted"> · showing the first {displayLimit / 1024} KB</span>}
      </p>
      <pre class="source" data-testid="source">{cut ? raw.slice(0, displayLimit) : raw}</pre>
    </div>
  );
}
