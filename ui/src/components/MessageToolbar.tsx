import type { Ref } from 'preact';
import { IconTrash } from './Icons';

interface Props {
  search: string;
  onSearch(value: string): void;
  searchRef: Ref<HTMLInputElement>;
  mailbox: string;
  mailboxes: string[];
  onMailbox(value: string): void;
  total: number;
  loaded: number;
  checkedCount: number;
  allChecked: boolean;
  onToggleAll(): void;
  onDeleteChecked(): void;
  onDeleteAll(): void;
  filtered: boolean;
  tag: string;
  tags: string[];
  onTag(value: string): void;
}

export function MessageToolbar(p: Props) {
  return (
    <div class="toolbar">
      <div class="toolbar-row">
        <input
          ref={p.searchRef}
          type="search"
          class="search"
          placeholder="Search mail…"
          title='Words match subject, from, to and body. Also: from: to: cc: subject: mailbox: tag: is:read is:unread has:attachment before: after: "phrases" -negation'
          aria-label="Search messages"
          value={p.search}
          onInput={(e) => p.onSearch((e.target as HTMLInputElement).value)}
          data-testid="search"
        />
        <select class="mailbox-filter" aria-label="Mailbox" value={p.mailbox} onChange={(e) => p.onMailbox((e.target as HTMLSelectElement).value)} data-testid="mailbox-filter">
          <option value="">All mailboxes</option>
          {p.mailboxes.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </div>
      <div class="toolbar-row">
        <input type="checkbox" checked={p.allChecked} onChange={p.onToggleAll} aria-label="Select all loaded messages" disabled={p.loaded === 0} />
        <span class="count" data-testid="count">
          {p.checkedCount ? `${p.checkedCount} selected` : `${p.total} message${p.total === 1 ? '' : 's'}`}
        </span>
        <select class="tag-filter" aria-label="Tag" value={p.tag} onChange={(e) => p.onTag((e.target as HTMLSelectElement).value)} data-testid="tag-filter">
          <option value="">All tags</option>
          {[...new Set([...p.tags, ...(p.tag ? [p.tag] : [])])].map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <span class="spacer" />
        {p.checkedCount > 0 && (
          <button type="button" class="button danger" onClick={p.onDeleteChecked} data-testid="delete-selected">
            <IconTrash /> Delete {p.checkedCount}
          </button>
        )}
        <button type="button" class="button" onClick={p.onDeleteAll} disabled={p.total === 0} data-testid="delete-all">
          {p.filtered ? 'Delete matching' : 'Delete all'}
        </button>
      </div>
    </div>
  );
}
