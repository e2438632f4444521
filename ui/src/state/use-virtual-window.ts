import { useEffect, useState } from 'preact/hooks';
import type { RefObject } from 'preact';

export interface VirtualWindow {
  /** First rendered index (inclusive). */
  start: number;
  /** Last rendered index (exclusive). */
  end: number;
}

/**
 * The slice of a fixed-row-height list that is on screen (plus `overscan` rows either side), kept in step with
 * scrolling and resizing. Rendering only this slice keeps the DOM at a few dozen rows however many are loaded.
 */
export function useVirtualWindow(scroller: RefObject<HTMLElement | null>, count: number, rowHeight: number, overscan = 10): VirtualWindow {
  const [view, setView] = useState({ top: 0, height: 800 });
  const attached = count > 0;
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const update = () => setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
    update();
    el.addEventListener('scroll', update, { passive: true });
    const resize = new ResizeObserver(update);
    resize.observe(el);
    return () => {
      el.removeEventListener('scroll', update);
      resize.disconnect();
    };
  }, [attached]);
  const start = Math.max(0, Math.floor(view.top / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((view.top + view.height) / rowHeight) + overscan);
  return { start, end };
}

/** Scrolls the least needed to bring row `index` fully into view (keyboard navigation over unrendered rows). */
export function revealRow(el: HTMLElement, index: number, rowHeight: number): void {
  const top = index * rowHeight;
  if (top < el.scrollTop) el.scrollTop = top;
  else if (top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + rowHeight - el.clientHeight;
}
