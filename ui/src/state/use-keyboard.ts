import { useEffect, useRef } from 'preact/hooks';
import type { MessageSummary } from '../api/types';

interface KeyboardActions {
  items: MessageSummary[];
  cursor: string | null;
  setCursor(id: string): void;
  open(id: string): void;
  close(): void;
  remove(id: string): void;
  focusSearch(): void;
}

const nonTextInputs = new Set(['checkbox', 'radio', 'button', 'submit', 'reset']);

/** Keys go to the field being typed in; a ticked row checkbox keeps focus but must not swallow j/k. */
function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.tagName === 'INPUT') return !nonTextInputs.has((el as HTMLInputElement).type);
  return el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
}

/** Mail-client keys: j/k move, Enter opens, Delete or # deletes, / focuses search, Esc closes. */
export function useKeyboard(actions: KeyboardActions): void {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const a = latest.current;
      if (e.key === 'Escape') {
        if (isTyping(e.target)) (e.target as HTMLElement).blur();
        else if (!document.querySelector('.dialog')) a.close();
        return;
      }
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey || document.querySelector('.dialog')) return;
      const index = a.items.findIndex((m) => m.id === a.cursor);
      const move = (delta: number) => {
        const next = a.items[Math.max(0, Math.min(a.items.length - 1, index + delta))];
        if (!next) return;
        // MessageList scrolls the cursor row into view (it may not be rendered yet: the list is virtual).
        a.setCursor(next.id);
      };
      if (e.key === 'j' || e.key === 'ArrowDown') move(index < 0 ? 0 : 1);
      else if (e.key === 'k' || e.key === 'ArrowUp') move(index < 0 ? 0 : -1);
      else if (e.key === 'Enter' && a.cursor && (e.target as HTMLElement).tagName !== 'A' && (e.target as HTMLElement).tagName !== 'BUTTON') a.open(a.cursor);
      else if ((e.key === 'Delete' || e.key === '#') && a.cursor) a.remove(a.cursor);
      else if (e.key === '/') a.focusSearch();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
