import { parseAddressesFast, type ParsedMailbox } from './address-list.js';
import { run, type ImapValue } from './imap-value.js';
import { headerValue, type MimeNode } from './mime-tree.js';

/**
 * IMAP ENVELOPE (RFC 3501 §7.4.2):
 * `(date subject from sender reply-to to cc bcc in-reply-to message-id)`.
 *
 * Strings are the header text as it appears (unfolded, encoded words left encoded — as Dovecot and Cyrus do);
 * an absent header is NIL; sender and reply-to fall back to from; an address list with no address is NIL.
 * Each address is `(name adl mailbox host)`; a group is framed by `(NIL NIL "group" NIL)` ... `(NIL NIL NIL NIL)`.
 * An address with no domain gets host `"MISSING_DOMAIN"` as Dovecot does (a NIL host would read as a group marker).
 *
 * @example envelopeOf(parseMimeTree(raw)) // ['Mon, 1 Jan 2024 ...', 'Hi', [['Ann', null, 'ann', 'x.org']], ...]
 */
export function envelopeOf(node: MimeNode): ImapValue {
  const from = addressListOf(headerValue(node, 'from'));
  const sender = addressListOf(headerValue(node, 'sender'));
  const replyTo = addressListOf(headerValue(node, 'reply-to'));
  return [
    headerValue(node, 'date'),
    headerValue(node, 'subject'),
    from,
    sender ?? from,
    replyTo ?? from,
    addressListOf(headerValue(node, 'to')),
    addressListOf(headerValue(node, 'cc')),
    addressListOf(headerValue(node, 'bcc')),
    headerValue(node, 'in-reply-to'),
    headerValue(node, 'message-id'),
  ];
}

/**
 * An address-list header as an ENVELOPE list `((...)(...))` (no spaces between addresses, per the grammar),
 * or null (NIL) when it is absent or holds no address.
 */
export function addressListOf(value: string | null): ImapValue[] | null {
  if (value === null) return null;
  const out: ImapValue[] = [];
  for (const item of parseAddressesFast(value)) {
    if (item.kind === 'mailbox') {
      if (item.mailbox || item.host) out.push(addressOf(item));
      continue;
    }
    out.push([null, null, item.name, null]);
    for (const member of item.members) if (member.mailbox || member.host) out.push(addressOf(member));
    out.push([null, null, null, null]);
  }
  return out.length > 0 ? [run(out)] : null;
}

function addressOf(a: ParsedMailbox): ImapValue {
  return [a.name, a.route, a.mailbox, a.host ?? 'MISSING_DOMAIN'];
}
