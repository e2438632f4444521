import { vanishedSince } from '../store/modseq.js';
import type { Folder } from '../store/types.js';
import type { CommandContext } from './commands/define.js';
import { bad } from './imap-error.js';
import type { ImapSession } from './session.js';
import { formatSequenceSet, resolveSequenceSet, type SequenceSet } from './wire/sequence-set.js';
import type { Token } from './wire/tokenizer.js';

/** mod-sequence-value (RFC 7162 §7): 1 <= n <= 2^63-1; mod-sequence-valzer allows 0 too. */
const maxModseq = 2n ** 63n - 1n;

/** A MODSEQ argument; BAD when it is not a number, 0 where 0 is not allowed, or past 2^63-1. */
export function toModseq(t: Token | undefined, what: string, allowZero = false): number {
  if (t?.type !== 'atom' || !/^\d{1,20}$/.test(t.value)) throw bad(`Bad ${what}: expected a number`);
  const n = BigInt(t.value);
  if (n > maxModseq) throw bad(`Bad ${what}: over 9223372036854775807`);
  if (n === 0n && !allowZero) throw bad(`Bad ${what}: must be at least 1`);
  // Past 2^53 precision goes, but such a value is above every MODSEQ this server hands out, and stays so.
  return Number(n);
}

export function isCondstoreOn(session: ImapSession): boolean {
  return session.enabled.has('CONDSTORE');
}

export function isQresyncOn(session: ImapSession): boolean {
  return session.enabled.has('QRESYNC');
}

/**
 * A CONDSTORE-enabling command (RFC 7162 §3.1: FETCH MODSEQ/CHANGEDSINCE, STORE UNCHANGEDSINCE, SEARCH MODSEQ, STATUS
 * HIGHESTMODSEQ). With a folder selected, the first one tells the client the folder's HIGHESTMODSEQ.
 */
export async function enableCondstore(ctx: CommandContext): Promise<void> {
  if (isCondstoreOn(ctx.session)) return;
  ctx.session.enabled.add('CONDSTORE');
  const view = ctx.session.view;
  if (view) await ctx.session.untagged(`OK [HIGHESTMODSEQ ${view.folder.highestModseq}] Highest`);
}

/**
 * `VANISHED (EARLIER)` for the UIDs in `set` that left the folder after `since` (RFC 7162 §3.2.5.2, §3.2.6), or null
 * when none did. When the folder no longer remembers that far back, every UID in `set` below UIDNEXT that is not
 * in the folder is named: RFC 7162 lets a server list UIDs the client never knew of, and clients ignore those.
 */
export function vanishedEarlier(folder: Folder, since: number, set: SequenceSet | null): string | null {
  const maxUid = folder.uidNext - 1;
  if (maxUid < 1) return null;
  const ranges = resolveSequenceSet(set ?? [[1, '*']], maxUid);
  const inSet = (uid: number): boolean => ranges.some(([lo, hi]) => uid >= lo && uid <= hi);
  const known = vanishedSince(folder, since);
  let uids: number[];
  if (known) uids = known.filter(inSet);
  else {
    uids = [];
    const present = new Set(folder.placements.map((p) => p.uid));
    for (const [lo, hi] of ranges) for (let u = lo; u <= Math.min(hi, maxUid); u++) if (!present.has(u)) uids.push(u);
  }
  return uids.length ? `VANISHED (EARLIER) ${formatSequenceSet(uids)}` : null;
}
