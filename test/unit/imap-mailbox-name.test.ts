import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMailboxName, encodeMailboxName } from '../../src/imap/wire/mailbox-name.js';
import { ImapSyntaxError } from '../../src/imap/wire/tokenizer.js';

describe('IMAP modified UTF-7 mailbox names', () => {
  it.each([
    ['INBOX', 'INBOX'],
    ['Entwürfe', 'Entw&APw-rfe'],
    ['Tom & Jerry', 'Tom &- Jerry'],
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['a/b', 'a/b'],
    ['😀', '&2D3eAA-'],
  ])('encodes %s as %s and back', (name, wire) => {
    expect(encodeMailboxName(name)).toBe(wire);
    expect(decodeMailboxName(wire)).toBe(name);
  });

  it.each(['&Jjo!-', '&AGE-x&A-'])('refuses malformed %s', (wire) => {
    expect(() => decodeMailboxName(wire)).toThrow(ImapSyntaxError);
  });

  it('round-trips any name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (name) => {
        expect(decodeMailboxName(encodeMailboxName(name))).toBe(name);
      }),
    );;
  });
});
