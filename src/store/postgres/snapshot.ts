import type { MessageStore } from '../message-store.js';
import type { FolderSnapshot, PlacementSnapshot, StoreSnapshot } from '../store-backend.js';
import type { MessageRecord } from '../store-change.js';
import type { RelayRecord } from '../types.js';
import type { FaultRule } from '../fault-rule.js';
import { fromJson, toJson } from './codec.js';

/**
 * A tenant's state as rows of `mailsandbox_snapshot` (log compaction): part 0 is the header (counters, mailboxes,
 * folders with UIDNEXT, HIGHESTMODSEQ and their expunge history, fault rules with their hits), then one part per message, oldest first (its record,
 * relays and placements with their UIDs, flags and MODSEQs as JSON; its bytes in `raw`). Loaded through the seam's
 * `StoreSnapshot` (the same restore the SQLite store uses), then the log's rows after the snapshot's seq replay on top.
 */
export interface SnapshotPart {
  state: string;
  raw: Buffer | null;
}

interface Header {
  nextSeq: number;
  nextUidValidity: number;
  mailboxes: Array<{
    address: string;
    createdAt: Date;
    folders: FolderSnapshot[];
    lostSubscriptions: string[];
  }>;
  /** Fault rules with their hits (absent in snapshots written before rules were kept in the store). */
  faultRules?: FaultRule[];
}

interface MessagePart {
  message: Omit<MessageRecord, 'raw'> & { size: number };
  relays: RelayRecord[];
  placements: PlacementSnapshot[];
}

/** The model as snapshot parts, taken synchronously (the caller makes sure it equals the log up to a known seq). */
export function takeSnapshot(store: MessageStore): SnapshotPart[] {
  const header: Header = {
    nextSeq: store.lastSeq + 1,
    nextUidValidity: store.nextUidValidity,
    mailboxes: store.mailboxes().map((mb) => ({
      address: mb.address,
      createdAt: mb.createdAt,
      lostSubscriptions: [...mb.lostSubscriptions],
      folders: [...mb.folders.values()].map((f) => ({
        name: f.name,
        uidValidity: f.uidValidity,
        specialUse: f.specialUse,
        subscribed: f.subscribed,
        uidNext: f.uidNext,
        highestModseq: f.highestModseq,
        vanished: {
          uids: [...f.vanished.uids],
          modseqs: [...f.vanished.modseqs],
          floor: f.vanished.floor,
        },
      })),
    })),
    faultRules: store.faults.list().map((r) => ({ ...r })),
  };
  const parts: SnapshotPart[] = [{ state: toJson(header), raw: null }];
  for (const m of store.since(0)) {
    const part: MessagePart = {
      message: {
        id: m.id,
        seq: m.seq,
        receivedAt: m.receivedAt,
        size: m.size,
        envelope: m.envelope,
        source: m.source,
        connection: m.connection,
        summary: m.summary,
        transcript: m.transcript,
        tags: [...m.tags],
      },
      relays: [...m.relays],
      placements: store.placementsOf(m).map((p) => ({
        mailbox: p.mailbox,
        folder: p.folder.name,
        uid: p.uid,
        flags: [...p.flags],
        internalDate: p.internalDate,
        modseq: p.modseq,
      })),
    };
    parts.push({ state: toJson(part), raw: m.raw });
  }
  return parts;
}

/** Parts (in order, header first) back into what `MessageStore` restores from. */
export function readSnapshot(parts: SnapshotPart[]): StoreSnapshot {
  const header = fromJson<Header>(parts[0].state);
  return {
    nextSeq: header.nextSeq,
    nextUidValidity: header.nextUidValidity,
    mailboxes: header.mailboxes,
    faultRules: header.faultRules ?? [],
    messages: parts.slice(1).map((p) => {
      const part = fromJson<MessagePart>(p.state);
      return {
        message: { ...part.message, raw: p.raw ?? Buffer.alloc(0) },
        relays: part.relays,
        placements: part.placements,
      };
    }),
  };
}
