import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { MessageDetails, MimePart } from '../api/types';
import { useLiveEvents } from './live';

export interface OpenMessage {
  message: MessageDetails | null;
  /** The MIME tree, or null while loading or when the server has no structure endpoint (404 hides the tab). */
  structure: MimePart | null;
  error: string | null;
  /** The message is gone — deleted while open, or already missing when asked for: a state, not an error. */
  deleted: 'while-open' | 'missing' | null;
  setSeen(seen: boolean): void;
  /** Applies fields the server just confirmed (tags after a PUT), ahead of the feed's `message.updated`. */
  patch(fields: Partial<MessageDetails>): void;
}

/** One message's details, kept in step with live updates. Opening it marks it read (SPEC §4: PATCH {seen: true}). */
export function useMessage(id: string): OpenMessage {
  const [message, setMessage] = useState<MessageDetails | null>(null);
  const [structure, setStructure] = useState<MimePart | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<OpenMessage['deleted']>(null);

  useEffect(() => {
    setDeleted(null);
    setError(null);
    api.getMessage(id).then(
      (m) => {
        setMessage(m);
        if (!m.seen) api.setSeen(id, true).catch(() => undefined);
      },
      (err: Error) => (err instanceof ApiError && err.status === 404 ? setDeleted('missing') : setError(err.message)),
    );
    api.getStructure(id).then(setStructure, () => setStructure(null));
  }, [id]);

  useLiveEvents((event) => {
    if (event.type === 'message.updated' && event.data.id === id) setMessage((m) => m && { ...m, seen: event.data.seen, mailboxes: event.data.mailboxes, tags: event.data.tags, relays: event.data.relays });
    if ((event.type === 'message.deleted' && event.data.id === id) || event.type === 'store.cleared') setDeleted('while-open');
  });

  const setSeen = (seen: boolean) => {
    api.setSeen(id, seen).then(
      () => setMessage((m) => m && { ...m, seen }),
      (err: Error) => (err instanceof ApiError && err.status === 404 ? setDeleted('while-open') : setError(err.message)),
    );
  };
  const patch = (fields: Partial<MessageDetails>) => setMessage((m) => m && { ...m, ...fields });
  return { message, structure, error, deleted, setSeen, patch };
}
