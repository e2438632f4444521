import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { MessageDetails, MimePart } from '../api/types';
import { useLiveEvents } from './live';

export interface OpenMessage {
  message: MessageDetails | null;
  /** The MIME tree, or null while loading or when the server has no structure endpoint (404 hides the tab). */
  structure: MimePart | null;
  error: string | null;
  setSeen(seen: boolean): void;
  /** Applies fields the server just confirmed (tags after a PUT), ahead of the feed's `message.updated`. */
  patch(fields: Partial<MessageDetails>): void;
}

/** One message's details, kept in step with live updates. Opening it marks it read (SPEC §4: PATCH {seen: true}). */
export function useMessage(id: string): OpenMessage {
  const [message, setMessage] = useState<MessageDetails | null>(null);
  const [structure, setStructure] = useState<MimePart | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.getMessage(id).then(
      (m) => {
        setMessage(m);
        if (!m.seen) api.setSeen(id, true).catch(() => undefined);
      },
      (err: Error) => setError(err instanceof ApiError && err.status === 404 ? 'This message no longer exists.' : err.message),
    );
    api.getStructure(id).then(setStructure, () => setStructure(null));
  }, [id]);

  useLiveEvents((event) => {
    if (event.type === 'message.updated' && event.data.id === id) setMessage((m) => m && { ...m, seen: event.data.seen, mailboxes: event.data.mailboxes, tags: event.data.tags, relays: event.data.relays });
    if ((event.type === 'message.deleted' && event.data.id === id) || event.type === 'store.cleared') setError('This message was deleted.');
  });

  const setSeen = (seen: boolean) => {
    api.setSeen(id, seen).then(() => setMessage((m) => m && { ...m, seen }), (err: Error) => setError(err.message));
  };
  const patch = (fields: Partial<MessageDetails>) => setMessage((m) => m && { ...m, ...fields });
  return { message, structure, error, setSeen, patch };
}
