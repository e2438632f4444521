import type { Folder, Mailbox, Placement, StoredMessage } from './types.js';

export type DeleteReason = 'deleted' | 'expunged' | 'evicted';

/**
 * Everything the store emits, synchronously, after the change is made.
 * `origin` is the opaque token the caller passed to the mutating method (e.g. an IMAP session),
 * so a subscriber can skip echoes of its own changes.
 */
export interface StoreEvents {
  /** A new message, after all its placements exist. */
  'message.added': [message: StoredMessage];
  /** Seen state, flags or the set of mailboxes holding the message changed. */
  'message.updated': [message: StoredMessage];
  /** The message's last placement is gone (or it was deleted or evicted outright). */
  'message.deleted': [message: StoredMessage, reason: DeleteReason];
  /** A new UID in a folder (IMAP `EXISTS`). */
  'placement.added': [placement: Placement, origin: unknown];
  /** A UID left a folder (IMAP `EXPUNGE`). */
  'placement.removed': [placement: Placement, origin: unknown];
  /** A placement's flags changed (IMAP untagged `FETCH (FLAGS ...)`). */
  'placement.flags': [placement: Placement, origin: unknown];
  'mailbox.added': [mailbox: Mailbox];
  'mailbox.removed': [mailbox: Mailbox];
  'folder.added': [folder: Folder];
  'folder.removed': [folder: Folder];
  'folder.renamed': [folder: Folder, oldName: string];
  /** The folder got a new UIDVALIDITY and every UID changed (SPEC §13): sessions that selected it must end. */
  'folder.uidvalidity': [folder: Folder];
  /** Every message was deleted (placement.removed was emitted for each placement first). */
  'store.cleared': [];
}
