import { atom, formatImapText, formatImapValue, type ImapValue } from '../../mime/imap-value.js';
import { encodeMailboxName, isUtf8Names, type NameSpelling } from './mailbox-name.js';

/**
 * Response building blocks. Strings are always quoted or sent as literals by `formatImapValue` (the one string
 * quoter); these helpers only add what is IMAP-server specific.
 */
export { atom, formatImapText, formatImapValue, type ImapValue };

/**
 * A folder name on the wire, quoted (a name may contain spaces or quotes): modified UTF-7, or for a UTF-8 session
 * (RFC 6855 §3: quoted strings may then hold UTF-8) the name itself; a literal only for a control character.
 */
export function formatMailboxName(name: string, session: NameSpelling): Buffer {
  if (!isUtf8Names(session) || /[\x00-\x1f\x7f]/.test(name)) return formatImapValue(encodeMailboxName(name, isUtf8Names(session)));
  return Buffer.from(`"${name.replace(/[\\"]/g, '\\$&')}"`, 'utf8');
}

export function formatFlags(flags: Iterable<string>, isRecent = false): string {
  // A loop, not a spread and join: FETCH 1:* (FLAGS) calls this once per message. Most messages have no flags (a
  // Set of size 0): no iterator for them, which the first flag sync after a bulk APPEND runs before the JIT has
  // optimised anything.
  if ((flags as { size?: number }).size === 0) return isRecent ? '(\\Recent)' : '()';
  let s = '(';
  for (const f of flags) s += s.length === 1 ? f : ` ${f}`;
  if (isRecent) s += s.length === 1 ? '\\Recent' : ' \\Recent';
  return s + ')';
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** date-time (RFC 3501 §9), in UTC: `"17-Jul-1996 09:44:25 +0000"`. */
export function formatInternalDate(d: Date): string {
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `"${day}-${months[d.getUTCMonth()]}-${d.getUTCFullYear()} ${time} +0000"`;
}

/**
 * resp-text must be one line of printable text: anything echoed into it (a client's tag, a folder name, an
 * error message) loses CR, LF, NUL and other controls, and `[` at the start, which would read as a response code.
 */
export function sanitizeText(text: string, max = 200): string {
  const clean = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  return clean.length > max ? clean.slice(0, max) + '...' : clean;
}
