import { useCallback, useLayoutEffect, useReducer, useRef } from 'preact/hooks';
import { api } from '../api/client';
import type { ListQuery } from '../api/client';
import type { LiveEvent } from '../api/types';
import { useLiveEvents, useOnReconnect } from './live';
import { initialList, listReducer } from './message-list';
import type { ListAction, ListState } from './message-list';

export const pageSize = 100;

export interface MessageList {
  state: ListState;
  loadMore(): void;
  dispatch(action: ListAction): void;
}

/**
 * The message list for a filter: the first page on filter change, more pages on demand, live updates from the
 * WebSocket, and a catch-up re-fetch of the first page after a reconnect.
 */
export function useMessageList(filter: ListQuery): MessageList {
  const [state, dispatch] = useReducer(listReducer, initialList);
  const generation = useRef(0);
  const stateRef = useRef(state);
  stateRef.current = state;
  const catchUpTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const fetchPage = useCallback(
    (offset: number, kind: 'page' | 'catch-up') => {
      const gen = generation.current;
      if (kind === 'page') dispatch({ type: 'loading', generation: gen });
      api.listMessages(filter, offset, pageSize).then(
        (page) => dispatch(kind === 'page' ? { type: 'page', generation: gen, offset, page } : { type: 'catch-up', generation: gen, page }),
        (err: Error) => dispatch({ type: 'failed', generation: gen, error: err.message }),
      );
    },
    [filter.query, filter.mailbox],
  );

  // A layout effect: the first page is requested right after the first render, not after the first paint.
  useLayoutEffect(() => {
    generation.current++;
    dispatch({ type: 'reset', generation: generation.current });
    fetchPage(0, 'page');
    return () => clearTimeout(catchUpTimer.current);
  }, [fetchPage]);

  // Bursts of mail (a test suite sending 50 messages) become one re-fetch instead of 50.
  const scheduleCatchUp = () => {
    clearTimeout(catchUpTimer.current);
    catchUpTimer.current = setTimeout(() => fetchPage(0, 'catch-up'), 150);
  };

  useOnReconnect(() => fetchPage(0, 'catch-up'));
  useLiveEvents((event) => applyLiveEvent(event, filter, dispatch, scheduleCatchUp));

  const loadMore = useCallback(() => {
    const s = stateRef.current;
    if (s.loading || s.items.length >= s.total) return;
    fetchPage(s.items.length, 'page');
  }, [fetchPage]);

  return { state, loadMore, dispatch };
}

/** What one WebSocket frame does to the list under the current filter. */
function applyLiveEvent(event: LiveEvent, filter: ListQuery, dispatch: (a: ListAction) => void, catchUp: () => void): void {
  switch (event.type) {
    case 'message.added':
      // The search language is evaluated by the server only; with a query the client asks it again.
      if (filter.query) catchUp();
      else if (!filter.mailbox || event.data.mailboxes.includes(filter.mailbox.toLowerCase())) dispatch({ type: 'added', message: event.data });
      return;
    case 'message.updated':
      // Under a mailbox filter, a message whose placement there went (POP3 DELE, IMAP EXPUNGE) leaves the list.
      if (filter.mailbox && !event.data.mailboxes.includes(filter.mailbox.toLowerCase())) dispatch({ type: 'deleted', id: event.data.id });
      else dispatch({ type: 'updated', message: event.data });
      // `is:read` / `is:unread` results change with the flags, `tag:` results with the tags.
      if (/\b(is|tag):/i.test(filter.query)) catchUp();
      return;
    case 'message.deleted':
      dispatch({ type: 'deleted', id: event.data.id });
      return;
    case 'store.cleared':
      dispatch({ type: 'cleared' });
      return;
  }
}
