import type { Folder } from './types.js';

/**
 * CONDSTORE/QRESYNC state (RFC 7162), kept in one place so a durable backend persists exactly this: each folder's
 * HIGHESTMODSEQ (`folder.highestModseq`), each placement's MODSEQ (`placement.modseq`) and the folder's memory of
 * expunged UIDs (`folder.vanished`). Every change to a folder goes through `nextModseq`.
 */

/** Expunged UIDs remembered per folder; past it the oldest are forgotten and `floor` says up to which MODSEQ. */
export const maxVanishedPerFolder = 10_000;

/** Expunged UIDs of a folder with the MODSEQ of their expunge, ascending by MODSEQ. */
export interface VanishedLog {
  uids: number[];
  modseqs: number[];
  /** Expunges at or below this MODSEQ may have been forgotten (0: nothing forgotten yet). */
  floor: number;
}

export function emptyVanishedLog(): VanishedLog {
  return { uids: [], modseqs: [], floor: 0 };
}

/** The one function that raises a folder's HIGHESTMODSEQ; returns the new value for the change being made. */
export function nextModseq(folder: Folder): number {
  return ++folder.highestModseq;
}

/** Remembers that `uids` left the folder at `modseq`; forgets the oldest past the bound. */
export function recordVanished(folder: Folder, uids: readonly number[], modseq: number): void {
  const log = folder.vanished;
  for (const uid of uids) {
    log.uids.push(uid);
    log.modseqs.push(modseq);
  }
  const excess = log.uids.length - maxVanishedPerFolder;
  if (excess > 0) {
    log.floor = log.modseqs[excess - 1];
    log.uids.splice(0, excess);
    log.modseqs.splice(0, excess);
  }
}

/**
 * UIDs expunged after `modseq`, ascending; null when some of them may have been forgotten (the caller then
 * answers as RFC 7162 §3.2.5.2 allows: every UID it cannot show still exists).
 */
export function vanishedSince(folder: Folder, modseq: number): number[] | null {
  const log = folder.vanished;
  if (modseq < log.floor) return null;
  // modseqs ascend: binary search for the first one above `modseq`.
  let lo = 0;
  let hi = log.modseqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log.modseqs[mid] <= modseq) lo = mid + 1;
    else hi = mid;
  }
  return log.uids.slice(lo).sort((a, b) => a - b);
}

/** Forgets every expunged UID (the folder's UIDs were renumbered under a new UIDVALIDITY). */
export function resetVanished(folder: Folder): void {
  folder.vanished = emptyVanishedLog();
}
