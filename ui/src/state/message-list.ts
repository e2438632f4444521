import type { MessagePage, MessageSummary } from '../api/types';

/** The loaded window of the message list: the first pages of the current filter, newest first. */
export interface ListState {
  items: MessageSummary[];
  total: number;
  loading: boolean;
  error: string | null;
  /** Bumped on every filter change so late answers for an old filter are dropped. */
  generation: number;
}

export type ListAction =
  | { type: 'reset'; generation: number }
  | { type: 'loading'; generation: number }
  | { type: 'page'; generation: number; offset: number; page: MessagePage }
  | { type: 'catch-up'; generation: number; page: MessagePage }
  | { type: 'failed'; generation: number; error: string }
  | { type: 'added'; message: MessageSummary }
  | { type: 'updated'; message: MessageSummary }
  | { type: 'deleted'; id: string }
  | { type: 'cleared' };

export const initialList: ListState = { items: [], total: 0, loading: false, error: null, generation: 0 };

export function listReducer(state: ListState, action: ListAction): ListState {
  switch (action.type) {
    case 'reset':
      return { ...initialList, loading: true, generation: action.generation };
    case 'loading':
      return action.generation === state.generation ? { ...state, loading: true } : state;
    case 'page':
      if (action.generation !== state.generation) return state;
      return { ...state, loading: false, error: null, total: action.page.total, items: appendPage(state.items, action.offset, action.page.messages) };
    case 'catch-up':
      if (action.generation !== state.generation) return state;
      return { ...state, loading: false, error: null, total: action.page.total, items: mergeFirstPage(state.items, action.page) };
    case 'failed':
      return action.generation === state.generation ? { ...state, loading: false, error: action.error } : state;
    case 'added':
      if (state.items.some((m) => m.id === action.message.id)) return state;
      return { ...state, total: state.total + 1, items: [action.message, ...state.items] };
    case 'updated':
      return { ...state, items: state.items.map((m) => (m.id === action.message.id ? action.message : m)) };
    case 'deleted': {
      const items = state.items.filter((m) => m.id !== action.id);
      return items.length === state.items.length ? state : { ...state, items, total: Math.max(0, state.total - 1) };
    }
    case 'cleared':
      return { ...state, items: [], total: 0 };
  }
}

// "Load more" asks for offset = items.length; live arrivals may shift the server's window meanwhile, so ids
// already shown are skipped instead of duplicated.
function appendPage(items: MessageSummary[], offset: number, page: MessageSummary[]): MessageSummary[] {
  if (offset === 0) return page;
  const seen = new Set(items.map((m) => m.id));
  return [...items, ...page.filter((m) => !seen.has(m.id))];
}

/**
 * After a reconnect (or a live change the client cannot match itself, e.g. a search query), the first page is the
 * truth for its time window: what is in it is shown, what the window covers but it lacks was deleted meanwhile.
 * Older pages already loaded are kept.
 */
export function mergeFirstPage(items: MessageSummary[], page: MessagePage): MessageSummary[] {
  const fresh = page.messages;
  if (fresh.length === 0 || page.total <= fresh.length) return fresh;
  const ids = new Set(fresh.map((m) => m.id));
  const oldest = fresh[fresh.length - 1].receivedAt;
  return [...fresh, ...items.filter((m) => !ids.has(m.id) && m.receivedAt < oldest)];
}

/** Where the keyboard cursor goes when `removed` rows disappear: the next row down, else the nearest one up. */
export function cursorAfterRemoval(items: MessageSummary[], cursor: string | null, removed: string[]): string | null {
  if (!cursor || !removed.includes(cursor)) return cursor;
  const at = items.findIndex((m) => m.id === cursor);
  const after = items.slice(at).find((m) => !removed.includes(m.id));
  const before = items.slice(0, Math.max(0, at)).reverse().find((m) => !removed.includes(m.id));
  return after?.id ?? before?.id ?? null;
}
