import { ImapSyntaxError } from './tokenizer.js';

/**
 * Modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands for itself except `&`, which is
 * `&-`; anything else is UTF-16BE in base64 with `,` for `/`, between `&` and `-`.
 */
export function decodeMailboxName(wire: string): string {
  return wire.replace(/&([^-]*)-/g, (_m, b64: string) => {
    if (b64 === '') return '&';
    if (!/^[A-Za-z0-9+,]+$/.test(b64)) throw new ImapSyntaxError('Bad modified UTF-7 in mailbox name');
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    if (bytes.length === 0 || bytes.length % 2 !== 0) throw new ImapSyntaxError('Bad modified UTF-7 in mailbox name');
    return bytes.swap16().toString('utf16le');
  });
}

export function encodeMailboxName(name: string): string {
  return name.replace(/&/g, '&-').replace(/[^\x20-\x7e]+/g, (run) => {
    const utf16 = Buffer.from(run, 'utf16le').swap16();
    return '&' + utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
  });
}
