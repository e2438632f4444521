import type { ImapSession } from './session.js';

/**
 * Issue 18 extensions (SPEC §17), each listed once complete and tested. LIST-EXTENDED relies on subscriptions being
 * names that outlive their folders (`\NonExistent`) and on CREATE not subscribing, as in Dovecot.
 */
const clientDeveloperCaps = ['ESEARCH', 'SEARCHRES', 'WITHIN', 'SORT', 'ESORT', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES', 'STATUS=SIZE', 'CREATE-SPECIAL-USE', 'COMPRESS=DEFLATE', 'LIST-EXTENDED', 'LIST-STATUS'];

/**
 * The CAPABILITY list (SPEC §7). STARTTLS only where it can happen (plain port, not yet encrypted);
 * AUTH= and STARTTLS are dropped once logged in, as RFC 3501 §7.2.1 allows — clients re-read it after login.
 * LOGINDISABLED only with `--starttls required`: otherwise a sandbox takes plaintext logins on purpose.
 */
export function capabilities(session: ImapSession): string {
  // RFC 9051 Appendix A: a server speaking both advertises both; a client asks for rev2 with ENABLE IMAP4rev2.
  const caps = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'SASL-IR', 'IDLE', 'UIDPLUS', 'MOVE', 'NAMESPACE', 'ID', 'ENABLE', 'UNSELECT', 'SPECIAL-USE', 'CHILDREN'];
  caps.push('CONDSTORE', 'QRESYNC', 'QUOTA', 'QUOTA=RES-MESSAGE', 'QUOTA=RES-STORAGE'); // RFC 7162, RFC 9208
  if (session.state === 'not-authenticated') {
    caps.push('AUTH=PLAIN');
    if (session.canStartTls) caps.push('STARTTLS');
    // RFC 3501 §6.2.3: a server that refuses LOGIN says so up front.
    if (session.isTlsRequired) caps.push('LOGINDISABLED');
  }
  caps.push(`APPENDLIMIT=${session.server.config.maxMessageSize}`);
  // RFC 4731, 5182, 5032 (search), RFC 5256/5267 (sort, thread) and the rest of issue 18's own part.
  caps.push(...clientDeveloperCaps);
  caps.push('BINARY', 'UTF8=ACCEPT'); // RFC 3516: literal8 APPEND and the BINARY fetch items; RFC 6855
  return caps.join(' ');
}
