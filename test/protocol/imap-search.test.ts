import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { eml, imapSandbox } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * Every RFC 3501 §6.4.4 search key evaluated over a real connection, against five messages whose headers,
 * flags, dates and sizes are chosen so each key picks a different set.
 */
const messages = [
  { head: 'From: Ann Example <ann@example.test>\r\nTo: bob@example.test\r\nCc: carol@example.test\r\nSubject: Quarterly report\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\nX-Priority: 1', body: 'Numbers are up.', flags: ['\\Seen', '\\Answered'], date: '2024-01-01T10:00:00Z' },
  { head: 'From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>\r\nTo: bob@example.test\r\nBcc: secret@example.test\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000', body: 'Viele Grüße aus Köln', flags: ['\\Flagged', '$Work'], date: '2024-01-02T23:30:00Z' },
  { head: 'From: dave@example.net\r\nTo: bob@example.test\r\nSubject: Lunch?\r\nDate: Wed, 03 Jan 2024 10:00:00 +0000', body: 'x'.repeat(3000), flags: ['\\Deleted', '\\Draft'], date: '2024-01-03T10:00:00Z' },
  { head: 'From: ann@example.test\r\nTo: team@example.test\r\nSubject: Re: Quarterly report\r\nDate: Thu, 04 Jan 2024 10:00:00 +0000\r\nContent-Type: text/html; charset=utf-8', body: '<p>Looks <b>great</b></p>', flags: [], date: '2024-01-04T10:00:00Z' },
  { head: 'From: eve@example.org\r\nTo: bob@example.test\r\nSubject: no date here', body: 'Plain.', flags: ['\\Seen'], date: '2024-01-05T10:00:00Z' },
];

let sandbox: Sandbox;
let c: RawImap;

beforeAll(async () => {
  sandbox = await imapSandbox();
  const user = 'bob@example.test';
  for (const m of messages) {
    sandbox.store.deliver({
      raw: Buffer.from(`${m.head}\r\n\r\n${m.body}\r\n`),
      envelope: { mailFrom: '', rcptTo: [user] },
      source: 'api',
      targets: [{ mailbox: user, flags: m.flags, internalDate: new Date(m.date) }],
    });
  }
  // Messages 4 and 5 stay \Recent for this session: 1-3 are claimed by an earlier session first.
  const first = await RawImap.connect(sandbox.ports.imap!);
  await first.command('L', `LOGIN ${user} x`);
  const folder = sandbox.store.getFolder(user, 'INBOX')!;
  for (const p of folder.placements.slice(0, 3)) p.recent = false;
  first.end();
  c = await RawImap.connect(sandbox.ports.imap!);
  await c.command('L', `LOGIN ${user} x`);
  await c.command('S', 'SELECT INBOX');
});

afterAll(async () => {
  c?.end();
  await sandbox?.close();
});

async function search(criteria: string, uid = false): Promise<number[]> {
  const reply = await c.command('Q', `${uid ? 'UID ' : ''}SEARCH ${criteria}`);
  expect(reply).toMatch(/^Q OK/m);
  const line = reply.split('\r\n').find((l) => l.startsWith('* SEARCH')) ?? '';
  return line.split(' ').slice(2).filter(Boolean).map(Number);
}

describe('IMAP SEARCH keys', () => {
  it.each([
    ['ALL', [1, 2, 3, 4, 5]],
    ['ANSWERED', [1]],
    ['UNANSWERED', [2, 3, 4, 5]],
    ['DELETED', [3]],
    ['UNDELETED', [1, 2, 4, 5]],
    ['DRAFT', [3]],
    ['UNDRAFT', [1, 2, 4, 5]],
    ['FLAGGED', [2]],
    ['UNFLAGGED', [1, 3, 4, 5]],
    ['SEEN', [1, 5]],
    ['UNSEEN', [2, 3, 4]],
    ['KEYWORD $Work', [2]],
    ['KEYWORD $work', [2]],
    ['UNKEYWORD $Work', [1, 3, 4, 5]],
    ['RECENT', [4, 5]],
    ['OLD', [1, 2, 3]],
    ['NEW', [4]],
    ['FROM ann', [1, 4]],
    ['FROM "Ann Example"', [1]],
    ['FROM jörg', [2]],
    ['TO team', [4]],
    ['CC carol', [1]],
    ['BCC secret', [2]],
    ['SUBJECT quarterly', [1, 4]],
    ['SUBJECT grüße', [2]],
    ['HEADER X-Priority 1', [1]],
    ['HEADER X-Priority ""', [1]],
    ['BODY köln', [2]],
    ['BODY great', [4]],
    ['BODY <b>', []],
    ['TEXT report', [1, 4]],
    ['TEXT numbers', [1]],
    ['BEFORE 3-Jan-2024', [1, 2]],
    ['ON 2-Jan-2024', [2]],
    ['SINCE 4-Jan-2024', [4, 5]],
    ['SENTBEFORE 2-Jan-2024', [1]],
    ['SENTON 3-Jan-2024', [3]],
    ['SENTSINCE 3-Jan-2024', [3, 4]],
    ['LARGER 1000', [3]],
    ['SMALLER 100', [5]],
    ['2:3', [2, 3]],
    ['*', [5]],
    ['UID 4:*', [4, 5]],
    ['NOT SEEN', [2, 3, 4]],
    ['OR FLAGGED DRAFT', [2, 3]],
    ['OR (SEEN FROM ann) NOT OR DELETED SEEN', [1, 2, 4]],
    ['SEEN SMALLER 100', [5]],
    ['CHARSET UTF-8 SUBJECT "GRÜSSE"', []],
    ['CHARSET US-ASCII FROM eve', [5]],
  ])('SEARCH %s finds %j', async (criteria, expected) => {
    const bytes = Buffer.byteLength(criteria);
    // Non-ASCII criteria go as a literal, as clients send them.
    const text = bytes === criteria.length ? criteria : criteria.replace(/(\S+)$/, (w) => `{${Buffer.byteLength(w.replace(/"/g, ''))}+}\r\n${w.replace(/"/g, '')}`);
    expect(await search(text)).toEqual(expected);
  });

  it('answers UID SEARCH with UIDs', async () => {
    expect(await search('FLAGGED', true)).toEqual([2]);
  });
});

describe('IMAP SENT* search keys', () => {
  it('compares the day written in the Date header, disregarding its timezone', async () => {
    const own = await imapSandbox();
    const reader = await RawImap.connect(own.ports.imap!);
    try {
      const user = 'sent@example.test';
      // In UTC these are 2 January 04:30 and 1 January 22:30: the reverse of the days a reader shows.
      await own.deliver(eml('late evening', 'x').replace(/^Date: .*$/m, 'Date: Mon, 01 Jan 2024 23:30:00 -0500'), { to: user });
      await own.deliver(eml('small hours', 'x').replace(/^Date: .*$/m, 'Date: Tue, 2 Jan 24 00:30:00 +0200'), { to: user });
      await own.deliver(eml('obsolete zone', 'x').replace(/^Date: .*$/m, 'Date: 03 January 2024 23:59 PST'), { to: user });
      expect(await reader.command('L', `LOGIN ${user} x`)).toMatch(/^L OK/m);
      await reader.command('S', 'SELECT INBOX');
      const sentSearch = async (criteria: string): Promise<string> =>
        (await reader.command('Q', `SEARCH ${criteria}`))
          .split('\r\n')
          .filter((l) => l.startsWith('* '))
          .join('');

      expect(await sentSearch('SENTON 1-Jan-2024')).toBe('* SEARCH 1');
      expect(await sentSearch('SENTON 2-Jan-2024')).toBe('* SEARCH 2');
      expect(await sentSearch('SENTON 3-Jan-2024')).toBe('* SEARCH 3');
      expect(await sentSearch('SENTBEFORE 2-Jan-2024')).toBe('* SEARCH 1');
      expect(await sentSearch('SENTSINCE 2-Jan-2024')).toBe('* SEARCH 2 3');
    } finally {
      reader.end();
      await own.close();
    }
  });
});
