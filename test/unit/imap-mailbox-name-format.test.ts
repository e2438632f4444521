import { describe, expect, it } from 'vitest';
import { formatSessionMailboxName, usesUtf8MailboxNames } from '../../src/imap/mailbox-name-format.js';

const rev1 = new Set<string>();
const rev2 = new Set(['IMAP4REV2']);
const utf8Accept = new Set(['UTF8=ACCEPT']);

describe('mailbox names as a session reads them', () => {
  it.each([
    ['INBOX', '"INBOX"', '"INBOX"'],
    ['Entwürfe', '"Entw&APw-rfe"', '"Entwürfe"'],
    ['R&D', '"R&-D"', '"R&D"'],
    ['Say "hi"\\now', '"Say \\"hi\\"\\\\now"', '"Say \\"hi\\"\\\\now"'],
    ['日本語/✓', '"&ZeVnLIqe-/&JxM-"', '"日本語/✓"'],
  ])('sends %j as %s to IMAP4rev1 and %s to IMAP4rev2', (name, asRev1, asRev2) => {
    expect(formatSessionMailboxName(rev1, name)).toBe(asRev1);
    expect(formatSessionMailboxName(rev2, name)).toBe(asRev2);
  });

  it('uses UTF-8 names for IMAP4rev2 and UTF8=ACCEPT sessions only', () => {
    expect([rev1, rev2, utf8Accept, new Set(['CONDSTORE'])].map(usesUtf8MailboxNames)).toEqual([false, true, true, false]);
  });
});
