import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import { navigate } from '../state/router';
import { useMessageList } from '../state/use-message-list';
import { useMailboxes } from '../state/use-mailboxes';
import { useTags } from '../state/use-tags';
import { useKeyboard } from '../state/use-keyboard';
import { useDebounced, useSelection } from '../state/use-selection';
import { cursorAfterRemoval } from '../state/message-list';
import { MessageToolbar } from './MessageToolbar';
import { MessageList } from './MessageList';
import { MessageView } from './message/MessageView';
import { ConfirmDialog } from './ConfirmDialog';

export function MessagesPage({ openId }: { openId: string | null }) {
  const [search, setSearch] = useState('');
  const query = useDebounced(search.trim(), 250);
  const [mailbox, setMailbox] = useState('');
  const [tag, setTag] = useState('');
  // The tag filter is a `tag:` term of the same query language, so search, delete-matching and waits agree.
  const filter = useMemo(() => ({ query: [query, tag ? `tag:"${tag.replace(/"/g, '')}"` : ''].filter(Boolean).join(' '), mailbox }), [query, mailbox, tag]);
  const tags = useTags();
  const list = useMessageList(filter);
  const mailboxes = useMailboxes();
  const items = list.state.items;
  const selection = useSelection(items);
  const { checked } = selection;
  const [cursor, setCursor] = useState<string | null>(openId);
  const [confirmAll, setConfirmAll] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (openId) setCursor(openId);
  }, [openId]);

  const remove = async (ids: string[]) => {
    setCursor(cursorAfterRemoval(items, cursor, ids));
    for (const id of ids) list.dispatch({ type: 'deleted', id });
    if (openId && ids.includes(openId)) navigate({ page: 'messages', id: null });
    await Promise.allSettled(ids.map((id) => api.deleteMessage(id)));
  };

  const deleteAll = async () => {
    setConfirmAll(false);
    await api.deleteMatching(filter);
    if (!filter.query && !filter.mailbox) list.dispatch({ type: 'cleared' });
    navigate({ page: 'messages', id: null });
  };

  useKeyboard({
    items,
    cursor,
    setCursor,
    open: (id) => navigate({ page: 'messages', id }),
    close: () => (openId ? navigate({ page: 'messages', id: null }) : undefined),
    remove: (id) => void remove(checked.size ? [...checked] : [id]),
    focusSearch: () => searchRef.current?.focus(),
  });

  return (
    <div class={'messages-page' + (openId ? ' has-open' : '')}>
      <section class="list-pane" aria-label="Messages">
        <MessageToolbar
          search={search}
          onSearch={setSearch}
          searchRef={searchRef}
          mailbox={mailbox}
          mailboxes={mailboxes}
          onMailbox={setMailbox}
          total={list.state.total}
          loaded={items.length}
          checkedCount={checked.size}
          allChecked={selection.allChecked}
          onToggleAll={selection.toggleAll}
          onDeleteChecked={() => void remove([...checked])}
          onDeleteAll={() => setConfirmAll(true)}
          filtered={Boolean(query || mailbox || tag)}
          tag={tag}
          tags={tags}
          onTag={setTag}
        />
        <MessageList
          state={list.state}
          openId={openId}
          cursor={cursor}
          checked={checked}
          onToggle={selection.toggle}
          onLoadMore={list.loadMore}
          filtered={Boolean(query || mailbox || tag)}
          onPickTag={setTag}
          onClearFilter={() => {
            setSearch('');
            setMailbox('');
            setTag('');
          }}
        />
      </section>
      <section class="view-pane" aria-label="Message">
        {openId ? (
          <MessageView key={openId} id={openId} onDelete={() => void remove([openId])} />
        ) : (
          <div class="empty-view">
            <p>Select a message to read it.</p>
            <p class="hint">
              <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open · <kbd>#</kbd> delete · <kbd>/</kbd> search · <kbd>Esc</kbd> close
            </p>
          </div>
        )}
      </section>
      {confirmAll && (
        <ConfirmDialog
          title={filter.query || mailbox ? `Delete all ${list.state.total} matching messages?` : 'Delete all messages?'}
          body="This cannot be undone. Mailboxes and folders stay."
          confirmLabel="Delete all"
          onConfirm={() => void deleteAll()}
          onCancel={() => setConfirmAll(false)}
        />
      )}
    </div>
  );
}
