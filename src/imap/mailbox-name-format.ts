import { encodeMailboxName } from './wire/mailbox-name.js';
import { formatImapValue } from './wire/encoder.js';
import { isRev2 } from './rev2.js';

/**
 * Mailbox names as a session reads them: modified UTF-7 for IMAP4rev1 (RFC 3501 §5.1.3), UTF-8 once the session
 * enabled IMAP4rev2 (RFC 9051 §5.1) or UTF8=ACCEPT (RFC 6855 §3). Names coming in are read either way already
 * (getMailbox decodes only `&...-` runs).
 */
export function usesUtf8MailboxNames(enabled: ReadonlySet<string>): boolean {
  return isRev2(enabled) || enabled.has('UTF8=ACCEPT');
}

/** A folder name on the wire for this session: quoted (UTF-8 allowed inside quotes in rev2 and UTF8=ACCEPT). */
export function formatSessionMailboxName(enabled: ReadonlySet<string>, name: string): string {
  if (!usesUtf8MailboxNames(enabled) || /[\x00-\x1f\x7f]/.test(name)) return formatImapValue(encodeMailboxName(name)).toString('utf8');
  return `"${name.replace(/[\\"]/g, '\\$&')}"`;
}
