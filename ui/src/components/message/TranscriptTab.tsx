import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api/client';
import type { TranscriptLine } from '../../api/types';
import { TranscriptLines } from '../TranscriptLines';

export function TranscriptTab({ id }: { id: string }) {
  const [lines, setLines] = useState<TranscriptLine[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.getTranscript(id).then(setLines, (e: Error) => setError(e instanceof ApiError && e.status === 404 ? 'No transcript was kept for this message.' : e.message));
  }, [id]);
  if (error) return <p class="muted">{error}</p>;
  if (!lines) return <p class="muted">Loading…</p>;
  return <TranscriptLines lines={lines} />;
}
