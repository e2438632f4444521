import { useState } from 'preact/hooks';
import type { Address } from '../../api/types';
import { formatAddress } from '../../util/format';

// A newsletter to 40 recipients would otherwise push the tabs and the body below the fold.
const shownAtFirst = 3;

/** Addresses, one per item so each wraps as a unit; past a few, the rest behind a "N more" toggle. */
export function AddressList({ list, testId }: { list: Address[]; testId: string }) {
  const [all, setAll] = useState(false);
  const hidden = list.length - shownAtFirst;
  const shown = all || hidden <= 1 ? list : list.slice(0, shownAtFirst);
  return (
    <span class="address-list" data-testid={testId}>
      {shown.map((a, i) => (
        <span class="address" key={i}>
          {formatAddress(a)}
          {i < shown.length - 1 ? ', ' : ''}
        </span>
      ))}
      {hidden > 1 && (
        <button type="button" class="link-button more-toggle" aria-expanded={all} onClick={() => setAll(!all)} data-testid={`${testId}-more`}>
          {all ? 'show fewer' : `and ${hidden} more`}
        </button>
      )}
    </span>
  );
}
