/**
 * IMAP4rev2 (RFC 9051) next to IMAP4rev1: both are advertised and a session follows RFC 9051 once it sent
 * `ENABLE IMAP4rev2` (RFC 9051 Appendix A). What differs is read from the session's enabled set, which every
 * handler gets as `ctx.enabled`; the differences themselves are listed here, once.
 */
export const rev2 = 'IMAP4REV2';

export function isRev2(enabled: ReadonlySet<string>): boolean {
  return enabled.has(rev2);
}

/**
 * IMAP4rev1 items RFC 9051 removed (Appendix E): the `\Recent` flag, the RECENT response and STATUS item, and the
 * NEW, OLD and RECENT search keys. A rev2 session that names one gets BAD, as for any word its grammar lacks.
 */
export const rev1OnlyStatusItems: ReadonlySet<string> = new Set(['RECENT']);
export const rev1OnlySearchOps: ReadonlySet<string> = new Set(['recent', 'new']);
