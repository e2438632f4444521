import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLiveEvents, useOnReconnect } from './live';

/** Tags in use, most used first; new ones from the live feed are added as they appear. */
export function useTags(): string[] {
  const [list, setList] = useState<string[]>([]);
  const load = () =>
    api.tags().then(
      (t) => setList(t.map((x) => x.tag)),
      () => undefined,
    );
  useEffect(() => void load(), []);
  useOnReconnect(() => void load());
  useLiveEvents((event) => {
    if (event.type !== 'message.added' && event.type !== 'message.updated') return;
    const fresh = (event.data.tags ?? []).filter((t) => !list.some((x) => x.toLowerCase() === t.toLowerCase()));
    if (fresh.length) setList((l) => [...l, ...fresh]);
  });
  return list;
}
