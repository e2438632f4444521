import type { ImapError } from './imap-error.js';

/** Response codes (RFC 5530) as the short, stable labels of `mailsandbox_messages_rejected_total{protocol="imap"}`. */
const reasons: Record<string, string> = {
  TOOBIG: 'size',
  LIMIT: 'limit',
  OVERQUOTA: 'limit',
  TRYCREATE: 'mailbox_unavailable',
  NONEXISTENT: 'mailbox_unavailable',
  CANNOT: 'refused',
  PRIVACYREQUIRED: 'tls',
};

/** Why an APPEND was refused: its response code's label; a BAD (malformed APPEND) is `syntax`. */
export function appendRejectionReason(err: ImapError): string {
  if (err.status === 'BAD') return 'syntax';
  return (err.code && reasons[err.code]) ?? 'refused';
}
