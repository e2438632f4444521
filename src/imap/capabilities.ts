import type { ImapSession } from './session.js';

/**
 * The CAPABILITY list (SPEC §7). STARTTLS only where it can happen (plain port, not yet encrypted);
 * AUTH= and STARTTLS are dropped once logged in, as RFC 3501 §7.2.1 allows — clients re-read it after login.
 * LOGINDISABLED only with `--starttls required`: otherwise a sandbox takes plaintext logins on purpose.
 */
export function capabilities(session: ImapSession): string {
  const caps = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'IDLE', 'UIDPLUS', 'MOVE', 'NAMESPACE', 'ID', 'ENABLE', 'UNSELECT', 'SPECIAL-USE', 'CHILDREN'];
  caps.push('CONDSTORE', 'QRESYNC', 'QUOTA', 'QUOTA=RES-MESSAGE', 'QUOTA=RES-STORAGE'); // RFC 7162, RFC 9208
  if (session.state === 'not-authenticated') {
    caps.push('AUTH=PLAIN');
    if (session.canStartTls) caps.push('STARTTLS');
    // RFC 3501 §6.2.3: a server that refuses LOGIN says so up front.
    if (session.isTlsRequired) caps.push('LOGINDISABLED');
  }
  caps.push(`APPENDLIMIT=${session.server.config.maxMessageSize}`);
  return caps.join(' ');
}
