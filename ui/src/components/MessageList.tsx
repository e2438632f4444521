import type { RefObject } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { MessageSummary } from '../api/types';
import type { ListState } from '../state/message-list';
import { revealRow, useVirtualWindow } from '../state/use-virtual-window';
import { hrefFor } from '../state/router';
import { relativeTime, shortAddress, formatDateTime } from '../util/format';
import { IconPaperclip } from './Icons';
import { RelayBadge, TagChips } from './TagChips';

interface Props {
  state: ListState;
  openId: string | null;
  cursor: string | null;
  checked: ReadonlySet<string>;
  onToggle(id: string): void;
  onLoadMore(): void;
  /** A search or mailbox filter is on: an empty list then means "nothing matches", not "no mail". */
  filtered: boolean;
  onClearFilter(): void;
  /** A click on a tag chip filters by that tag. */
  onPickTag?(tag: string): void;
}

/** Row height in px; fixed so the virtual window can place rows by index (kept in step with `.row` in styles.css). */
export const rowHeight = 76;

/**
 * The list is virtual: whatever has been loaded (100 summaries per page, the next page when the window nears the
 * end), only the rows on screen are in the DOM, so 10,000 stored messages never become 10,000 DOM rows.
 */
export function MessageList({ state, openId, cursor, checked, onToggle, onLoadMore, filtered, onClearFilter, onPickTag }: Props) {
  const now = useNow(30_000);
  const scroller = useRef<HTMLDivElement>(null);
  const { items, total } = state;
  const hasMore = items.length < total;
  const { start, end } = useVirtualWindow(scroller, items.length, rowHeight);

  useEffect(() => {
    if (hasMore && end >= items.length - 20) onLoadMore();
  }, [hasMore, end, items.length, onLoadMore]);

  useScrollAnchor(scroller, items);

  useEffect(() => {
    const index = cursor ? items.findIndex((m) => m.id === cursor) : -1;
    if (index >= 0 && scroller.current) revealRow(scroller.current, index, rowHeight);
  }, [cursor]);

  if (state.error && items.length === 0) return <p class="list-empty error">Could not load messages: {state.error}</p>;
  if (items.length === 0) return <EmptyList loading={state.loading} filtered={filtered} onClearFilter={onClearFilter} />;

  return (
    <div class="list-scroll" ref={scroller} data-testid="list-scroll">
      <ul class="message-list" data-testid="message-list" style={{ paddingTop: `${start * rowHeight}px`, paddingBottom: `${(items.length - end) * rowHeight}px` }}>
        {items.slice(start, end).map((m) => (
          <MessageRow key={m.id} m={m} now={now} isOpen={m.id === openId} isCursor={m.id === cursor} isChecked={checked.has(m.id)} onToggle={onToggle} onPickTag={onPickTag} />
        ))}
      </ul>
      {hasMore && (
        <div class="load-more">
          <button type="button" class="button" onClick={onLoadMore} disabled={state.loading}>
            {state.loading ? 'Loading…' : `Load more (${items.length} of ${total})`}
          </button>
        </div>
      )}
    </div>
  );
}

function EmptyList({ loading, filtered, onClearFilter }: { loading: boolean; filtered: boolean; onClearFilter(): void }) {
  if (loading) return <p class="list-empty" data-testid="list-loading">Loading…</p>;
  if (filtered) {
    return (
      <div class="list-empty" data-testid="list-empty">
        <p>No messages match.</p>
        <button type="button" class="button" onClick={onClearFilter} data-testid="clear-filter">
          Clear search and mailbox filter
        </button>
      </div>
    );
  }
  return (
    <div class="list-empty" data-testid="list-empty">
      <p>No messages yet.</p>
      <p class="hint">
        Send mail to the sandbox's SMTP port; <a href={hrefFor({ page: 'connect' })}>Connect</a> shows it and the settings for common clients.
      </p>
    </div>
  );
}

interface RowProps {
  m: MessageSummary;
  now: number;
  isOpen: boolean;
  isCursor: boolean;
  isChecked: boolean;
  onToggle(id: string): void;
  onPickTag?(tag: string): void;
}

function MessageRow({ m, now, isOpen, isCursor, isChecked, onToggle, onPickTag }: RowProps) {
  const recipients = [...m.to, ...m.cc].map((a) => a.address).join(', ') || m.mailboxes.join(', ');
  const cls = ['row', m.seen ? 'read' : 'unread', isOpen && 'open', isCursor && 'cursor', isChecked && 'checked'].filter(Boolean).join(' ');
  return (
    <li class={cls} data-id={m.id} data-seen={String(m.seen)} aria-current={isCursor ? 'true' : undefined}>
      <input type="checkbox" class="row-check" checked={isChecked} onChange={() => onToggle(m.id)} aria-label={`Select message: ${m.subject || '(no subject)'}`} />
      <span class="unread-dot" aria-label={m.seen ? undefined : 'unread'} role={m.seen ? undefined : 'img'} />
      <a class="row-link" href={hrefFor({ page: 'messages', id: m.id })}>
        <span class="row-top">
          <span class="row-from" title={m.from ? undefined : m.envelopeFrom && 'Envelope sender (MAIL FROM): the message has no From: header'}>
            {shortAddress(m.from, m.envelopeFrom)}
          </span>
          <TagChips tags={m.tags} onPick={onPickTag} max={3} />
          <RelayBadge relays={m.relays} />
          {m.hasAttachments && (
            <span class="row-attach" role="img" aria-label="has attachments" title="has attachments">
              <IconPaperclip />
            </span>
          )}
          <time class="row-time" dateTime={m.receivedAt} title={formatDateTime(m.receivedAt)}>
            {relativeTime(m.receivedAt, now)}
          </time>
        </span>
        <span class="row-subject">{m.subject || '(no subject)'}</span>
        <span class="row-to">To: {recipients}</span>
      </a>
    </li>
  );
}

/**
 * New mail is prepended; a reader scrolled down the list keeps looking at the same rows instead of seeing them
 * jump down by a row per arrival.
 */
function useScrollAnchor(scroller: RefObject<HTMLElement | null>, items: MessageSummary[]): void {
  const firstId = useRef<string | undefined>(undefined);
  useLayoutEffect(() => {
    const el = scroller.current;
    const added = firstId.current === undefined ? -1 : items.findIndex((m) => m.id === firstId.current);
    firstId.current = items[0]?.id;
    if (el && added > 0 && el.scrollTop > 0) el.scrollTop += added * rowHeight;
  }, [items]);
}

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}
