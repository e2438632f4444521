import { ImapSyntaxError } from './tokenizer.js';

/**
 * How a session spells mailbox names on the wire. Modified UTF-7 (RFC 3501 §5.1.3) by default; plain UTF-8 once the
 * client has sent `ENABLE UTF8=ACCEPT` (RFC 6855 §3) or `ENABLE IMAP4rev2` (RFC 9051 §5.1), and then `&` is just `&`.
 * Commands pass their `ctx.session` (anything with the set of enabled extensions).
 */
export interface NameSpelling {
  readonly enabled: ReadonlySet<string>;
}

export function isUtf8Names(session: NameSpelling): boolean {
  return session.enabled.has('UTF8=ACCEPT') || session.enabled.has('IMAP4REV2');
}

/**
 * A name as the client wrote it, decoded. Modified UTF-7: printable ASCII stands for itself except `&`, which is
 * `&-`; anything else is UTF-16BE in base64 with `,` for `/`, between `&` and `-`. Clients that send UTF-8 without
 * enabling it are accepted too (decoding only touches `&...-` runs). In a UTF-8 session the name must be valid UTF-8.
 */
export function decodeMailboxName(wire: string, isUtf8 = false): string {
  if (isUtf8) {
    if (wire.includes('\ufffd')) throw new ImapSyntaxError('Mailbox name is not valid UTF-8');
    return wire;
  }
  return wire.replace(/&([^-]*)-/g, (_m, b64: string) => {
    if (b64 === '') return '&';
    if (!/^[A-Za-z0-9+,]+$/.test(b64)) throw new ImapSyntaxError('Bad modified UTF-7 in mailbox name');
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    if (bytes.length === 0 || bytes.length % 2 !== 0) throw new ImapSyntaxError('Bad modified UTF-7 in mailbox name');
    return bytes.swap16().toString('utf16le');
  });
}

export function encodeMailboxName(name: string, isUtf8 = false): string {
  if (isUtf8) return name;
  return name.replace(/&/g, '&-').replace(/[^\x20-\x7e]+/g, (run) => {
    const utf16 = Buffer.from(run, 'utf16le').swap16();
    return '&' + utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
  });
}
