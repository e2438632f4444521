/** The commands of a mail transaction: a 4xx/5xx answer to one of these refuses (part of) a message. */
const transactionVerbs = new Set(['MAIL', 'RCPT', 'DATA', 'BDAT']);

/** Reply codes as short, stable metric labels (`mailsandbox_messages_rejected_total{reason}`). */
const reasons: Record<number, string> = {
  421: 'closing',
  450: 'mailbox_unavailable',
  451: 'local_error',
  452: 'recipients',
  454: 'tls',
  503: 'sequence',
  530: 'auth_required',
  550: 'mailbox_unavailable',
  552: 'size',
  553: 'address',
  554: 'refused',
  501: 'syntax',
};

/**
 * Why an SMTP reply refused mail, or null when it is no refusal: only 4xx/5xx answers to MAIL, RCPT, DATA/BDAT
 * and to the message itself (after the final dot, whose reply follows the DATA command) count.
 */
export function smtpRejectionReason(code: number, lastVerb: string): string | null {
  if (code < 400 || !transactionVerbs.has(lastVerb)) return null;
  return reasons[code] ?? String(code);
}
