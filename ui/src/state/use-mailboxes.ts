import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLiveEvents, useOnReconnect } from './live';

/** Every address that has a mailbox, sorted; kept live from `mailbox.added` / `mailbox.removed`. */
export function useMailboxes(): string[] {
  const [list, setList] = useState<string[]>([]);
  const load = () =>
    api.mailboxes().then(
      (m) => setList(m.map((x) => x.address).sort()),
      () => undefined,
    );
  useEffect(() => void load(), []);
  useOnReconnect(() => void load());
  useLiveEvents((event) => {
    if (event.type === 'mailbox.added') setList((l) => (l.includes(event.data.address) ? l : [...l, event.data.address].sort()));
    if (event.type === 'mailbox.removed') setList((l) => l.filter((a) => a !== event.data.address));
  });
  return list;
}
