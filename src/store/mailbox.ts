import { emptyVanishedLog } from './modseq.js';
import type { Folder, Mailbox, Placement, SpecialUse } from './types.js';

/** The folders every mailbox starts with, and their SPECIAL-USE attributes (RFC 6154). */
export const defaultFolders: ReadonlyArray<{ name: string; specialUse?: SpecialUse }> = [
  { name: 'INBOX' },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Junk', specialUse: '\\Junk' },
];

/** Mailbox keys are lower-cased addresses; a login as `Ann@Example.test` opens the same mailbox as `ann@example.test`. */
export function normalizeAddress(address: string): string {
  // Nearly every address comes without spaces or brackets around it: then only the case is changed (if any).
  const first = address.charCodeAt(0);
  const last = address.charCodeAt(address.length - 1);
  if (first > 32 && first < 127 && first !== 60 && last > 32 && last < 127 && last !== 62) return address.toLowerCase();
  return address.trim().replace(/^<|>$/g, '').toLowerCase();
}

/** `INBOX` is case-insensitive (RFC 3501 §5.1), also as the first level of a hierarchy; other names are kept as given. */
export function normalizeFolderName(name: string): string {
  const trimmed = name.replace(/\/+$/, '');
  if (/^inbox$/i.test(trimmed)) return 'INBOX';
  if (/^inbox\//i.test(trimmed)) return 'INBOX' + trimmed.slice(5);
  return trimmed;
}

export function createFolder(mailbox: string, name: string, uidValidity: number, specialUse?: SpecialUse, subscribed = true): Folder {
  return { name, mailbox, uidValidity, uidNext: 1, specialUse, subscribed, placements: [], highestModseq: 1, vanished: emptyVanishedLog() };
}

export function createMailbox(address: string, nextUidValidity: () => number): Mailbox {
  const folders = new Map<string, Folder>();
  for (const f of defaultFolders) folders.set(f.name, createFolder(address, f.name, nextUidValidity(), f.specialUse));
  return { address, createdAt: new Date(), folders, pop3LockedBy: null, usage: { messages: 0, bytes: 0 }, lostSubscriptions: new Set() };
}

/** Binary search for a UID in a folder's placements (ascending UIDs); -1 when absent. */
export function uidIndex(list: readonly Placement[], uid: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const u = list[mid].uid;
    if (u === uid) return mid;
    if (u < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** True while the placement is still in its folder. */
export function isPlaced(p: Placement): boolean {
  const list = p.folder.placements;
  const i = uidIndex(list, p.uid);
  return i >= 0 && list[i] === p;
}

/** Removes placements from a folder in one pass (UID order is kept); a splice per placement would be O(n²). */
export function removeFromFolder(folder: Folder, gone: ReadonlySet<Placement>): void {
  const list = folder.placements;
  if (gone.size <= 8) {
    for (const p of gone) {
      const i = uidIndex(list, p.uid);
      if (i >= 0 && list[i] === p) list.splice(i, 1);
    }
    return;
  }
  let kept = 0;
  for (let i = 0; i < list.length; i++) if (!gone.has(list[i])) list[kept++] = list[i];
  list.length = kept;
}
