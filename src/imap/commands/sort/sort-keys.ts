import type { Placement } from '../../../store/types.js';
import type { SortFactsCache } from './sort-facts.js';

/** SORT criteria (RFC 5256 §3). */
export type SortKey = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO';
export const sortKeys: readonly SortKey[] = ['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO'];

/** The value a message sorts by for one key: numbers for dates and sizes, collation keys for text. */
export function sortValue(p: Placement, key: SortKey, facts: SortFactsCache): number | string {
  const m = p.message;
  switch (key) {
    case 'ARRIVAL':
      return p.internalDate.getTime();
    case 'DATE':
      return sentDate(p);
    case 'SIZE':
      return m.size;
    case 'SUBJECT':
      return facts.subject(m).key;
    case 'FROM':
    case 'TO':
    case 'CC':
      return facts.addressKey(m, key === 'FROM' ? 'from' : key === 'TO' ? 'to' : 'cc');
  }
}

/** RFC 5256: the Date header in UTC, or INTERNALDATE when it is missing or unreadable. */
export function sentDate(p: Placement): number {
  return (p.message.summary.date ?? p.internalDate).getTime();
}
