import { StoreError } from '../../store/message-store.js';
import type { Folder, Mailbox } from '../../store/types.js';
import { no } from '../imap-error.js';
import type { CommandContext } from './define.js';

/** Shared by every command that names a folder: the logged-in mailbox and its folders. */
export function mailboxOf(ctx: CommandContext): Mailbox {
  // ensureMailbox, not getMailbox: the mailbox may have been dropped over the API while the session is open.
  return ctx.server.store.ensureMailbox(ctx.session.user ?? '');
}

export function folderOf(ctx: CommandContext, name: string, missingCode = 'NONEXISTENT'): Folder {
  const folder = mailboxOf(ctx).folders.get(name);
  if (!folder) throw no(`No folder ${JSON.stringify(name).slice(0, 100)}`, missingCode);
  return folder;
}

/** Runs a store mutation, turning its refusals into NO with the matching response code (RFC 5530). */
export function storeCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    const code = err.code === 'INVALID' ? 'CANNOT' : err.code === 'FULL' ? 'OVERQUOTA' : err.code;
    throw no(err.message, code);
  }
}

/** `a/b/c` -> [`a`, `a/b`]: the superiors CREATE and RENAME make when missing (RFC 3501 §6.3.3). */
export function parentsOf(name: string): string[] {
  const parts = name.split('/');
  return parts.slice(0, -1).map((_p, i) => parts.slice(0, i + 1).join('/'));
}
