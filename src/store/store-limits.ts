import { StoreError, type Folder, type Mailbox, type StoreOptions } from './types.js';

/** Why a delivery to a mailbox's INBOX would be refused (SMTP answers that recipient alone, at RCPT TO). */
export type DeliveryRefusal = 'folder-full' | 'too-many-mailboxes';

/**
 * The count bounds of SPEC §10 ("Copies and names"): messages per folder, folders per mailbox, mailboxes per store.
 * Without them one message copied back and forth between two folders doubled every round (5.7 M placements, 1.36 GB
 * in 6 s). An absent bound is unlimited, so a bare store in a unit test needs no configuration.
 */
export class StoreLimits {
  constructor(readonly options: StoreOptions) {}

  hasFolderRoom(folder: Folder, adding: number): boolean {
    return folder.placements.length + adding <= (this.options.maxFolderMessages ?? Infinity);
  }

  checkFolderRoom(folder: Folder, adding: number): void {
    if (!this.hasFolderRoom(folder, adding)) {
      throw new StoreError('LIMIT', `Folder ${folder.name} of ${folder.mailbox} holds at most ${this.options.maxFolderMessages} messages`);
    }
  }

  hasMailboxRoom(existing: number, adding: number): boolean {
    return adding === 0 || existing + adding <= (this.options.maxMailboxes ?? Infinity);
  }

  checkMailboxRoom(existing: number, adding: number): void {
    if (!this.hasMailboxRoom(existing, adding)) throw new StoreError('LIMIT', `The sandbox holds at most ${this.options.maxMailboxes} mailboxes`);
  }

  checkFolderCount(mailbox: Mailbox): void {
    const max = this.options.maxFolders ?? Infinity;
    if (mailbox.folders.size >= max) throw new StoreError('LIMIT', `A mailbox holds at most ${max} folders`);
  }
}
