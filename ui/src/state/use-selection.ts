import { useEffect, useState } from 'preact/hooks';

export interface Selection {
  checked: ReadonlySet<string>;
  allChecked: boolean;
  toggle(id: string): void;
  toggleAll(): void;
}

/** The ticked rows of a list. Ids that leave the list (deleted anywhere, filtered out) are forgotten. */
export function useSelection(items: ReadonlyArray<{ id: string }>): Selection {
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    if (checked.size === 0) return;
    const ids = new Set(items.map((m) => m.id));
    const kept = [...checked].filter((id) => ids.has(id));
    if (kept.length !== checked.size) setChecked(new Set(kept));
  }, [items]);
  const allChecked = items.length > 0 && checked.size === items.length;
  return {
    checked,
    allChecked,
    toggle: (id) => {
      const next = new Set(checked);
      if (!next.delete(id)) next.add(id);
      setChecked(next);
    },
    toggleAll: () => setChecked(allChecked ? new Set() : new Set(items.map((m) => m.id))),
  };
}

/** `value`, once it has stopped changing for `ms` (search-as-you-type without a request per keystroke). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}
