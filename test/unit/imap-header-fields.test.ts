import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTopHeaderField, parseTopHeaders } from '../../src/mime/mime-tree.js';
import { parseAddresses, parseAddressesFast } from '../../src/mime/address-list.js';
import { HeaderFieldsCache } from '../../src/imap/commands/search/header-fields.js';
import type { StoredMessage } from '../../src/store/types.js';
import { cannotMatchHeader } from '../../src/imap/commands/search/header-prefilter.js';
import { filterByHeaderKey, matches, type SearchScope } from '../../src/imap/commands/search/evaluate.js';
import type { SearchKey } from '../../src/imap/commands/search/search-key.js';
import type { ViewEntry } from '../../src/imap/mailbox-view.js';

/**
 * SEARCH FROM/TO and SORT FROM read addresses through a fast path for the plain shapes; it must give exactly what
 * the full parser gives, and hand everything else to it.
 */
const inputs = [
  's7@example.test',
  '  s7@example.test  ',
  'Sender 7 <s7@example.test>',
  'Sender   7\t<s7@example.test>',
  '<s7@example.test>',
  'first.last+tag@sub.example.test',
  "O'Brien-Smith <o.b@example.test>",
  'Sender_7 <s_7@ex-ample.test>',
  '"Quoted, Name" <q@example.test>',
  'Ann (comment) <ann@example.test>',
  '<user (comment)@ (comment) domain.org>',
  '=?utf-8?q?J=C3=B6rg?= <joerg@example.test>',
  'a@example.test, b@example.test',
  'Team: a@example.test, b@example.test;',
  'undisclosed-recipients:;',
  'no-at-sign',
  'Name <no-at-sign>',
  '',
  'Jörg <j@example.test>',
  'x@[127.0.0.1]',
  'Name <a@b> trailing',
  'a..b@example.test',
  '.a@example.test',
];

describe('parseAddressesFast', () => {
  it.each(inputs)('reads %j as parseAddresses does', (input) => {
    expect(parseAddressesFast(input)).toEqual(parseAddresses(input));
  });
});

const fixtures = join(import.meta.dirname, '../../fixtures/messages');

describe('parseTopHeaderField', () => {
  const crafted = [
    'From: a@b\r\nTo: c@d\r\n\r\nbody',
    'FROM  : folded\r\n  over\r\n\tthree lines\r\nfrom: second\r\nX-From: not this\r\n\r\n',
    'Subject: x\r\nfrom:no-space\nTo: bare LF\n\nFrom: in the body\n',
    'Received: from x\r\n by y\r\nFrom: =?utf-8?q?J=C3=B6rg?= <j@x>\r\n\r\n',
    'From: caf\xc3\xa9 <c@x>\r\nCc: latin \xe9 <l@x>\r\n\r\n',
    'from: only a header, no body',
    'Subject: no from at all\r\n\r\nFrom: body line\r\n',
    'From: a@b   \t\r\nTo:\r\n\r\n',
    // The byte scan (no regex): blanks before the colon as trim() sees them, a longer name, a blank first line.
    'From\xa0\x0b\x0c\r:  nbsp vt ff cr\r\nfrom-x: longer name\r\nfro: shorter\r\nfrom\r\n: colon on the next line\r\n\r\n',
    '\r\nFrom: after a blank first line (body)\r\n',
    '\nFrom: after a bare LF first line\n',
    'X: y\r\n\r\n',
    'From: no line break at all',
    'From:',
    // Past 15,000 bytes of header the full parse (with its field-count limit) answers.
    `${'X-Pad: 0123456789\r\n'.repeat(1000)}From: after the padding <p@x>\r\nFrom: second\r\n\r\n`,
    `${'a:\n'.repeat(6000)}from: past 5,000 fields\n\n`,
  ].map((s) => Buffer.from(s, 'latin1'));
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(join(fixtures, f)));
  it.each(['from', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'references', 'x-from'])('finds every %s field as the full header parse does', (name) => {
    for (const raw of [...crafted, ...files]) expect(parseTopHeaderField(raw, name)).toEqual(parseTopHeaders(raw).filter((f) => f.name === name));
  });
});

describe('HeaderFieldsCache', () => {
  const message = (header: string) => ({ raw: Buffer.from(`${header}\r\n\r\nbody\r\n`, 'latin1') }) as unknown as StoredMessage;

  it('gives the values themselves as the address forms when they are the same text (one array kept)', () => {
    const cache = new HeaderFieldsCache();
    const m = message('From: Ann Lee <Ann@X.test>');
    expect(cache.values(m, 'from')).toEqual(['ann lee <ann@x.test>']);
    expect(cache.addressForms(m, 'from')).toBe(cache.values(m, 'from'));
  });

  it('keeps separate forms when parsing changes the text (blanks, comments, several addresses)', () => {
    const cache = new HeaderFieldsCache();
    const m = message('From: Ann   Lee <ann@x.test>, (c) bob (d)@ y.test');
    expect(cache.values(m, 'from')).toEqual(['ann   lee <ann@x.test>, (c) bob (d)@ y.test']);
    expect(cache.addressForms(m, 'from')).toEqual(['ann lee <ann@x.test>', 'c <bob@y.test>']);
  });
});

describe('cannotMatchHeader', () => {
  const message = (raw: Buffer) => ({ raw }) as unknown as StoredMessage;
  /** The full path's answer: the cache filled first, so matches() reads it and skips the byte scan. */
  const fullMatch = (m: StoredMessage, key: SearchKey & { op: 'header' | 'address' }): boolean => {
    const headers = new HeaderFieldsCache();
    headers.values(m, key.field);
    return matches(key, { seq: 1, placement: { message: m } } as unknown as ViewEntry, { headers } as unknown as SearchScope);
  };
  const headers = [
    ...inputs.flatMap((a) => [`From: ${a}`, `To: ${a}\r\nFrom: x@y.test`, `From: ${a}\r\nFrom: second@z.test`]),
    'From: Ann\r\n Lee <ann@x.test>',
    'Subject: Re: Message 5 alpha  beta\r\nFrom: s7@example.test',
    'Subject: =?utf-8?q?caf=C3=A9?= order',
    'Subject: tab\there   ',
    'subject:folded\r\n\tline',
    'Subject: caf\xc3\xa9 latin \xe9',
    'X-Tag: Mixed CASE value',
    'From : Sender 7 <s7@example.test>',
  ].map((h) => Buffer.from(`${h}\r\n\r\nbody s7@example.test\r\n`, 'latin1'));
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(join(fixtures, f)));
  /** Pieces of every header line (any case), blanks and brackets included, and needles found nowhere. */
  const needlesFor = (raw: Buffer): string[] => {
    const head = raw.toString('latin1', 0, Math.min(raw.length, 2000));
    const out = new Set(['zzz', 'ann lee', 'ann <', 'bob@y', 'c <bob', 'jörg', 'j=c3', 'café', 'CAFÉ', 'tab\there', 's7@EXAMPLE.test', 'sender 7 <s7', '']);
    for (const line of head.split(/\r?\n/).slice(0, 12)) {
      for (let i = 0; i < line.length; i += 3) for (const n of [1, 4, 9, 40]) out.add(line.slice(i, i + n)).add(line.slice(i, i + n).toUpperCase());
    }
    return [...out];
  };

  it('never turns away a message the full search would match (FROM/TO/SUBJECT/HEADER, crafted and fixture mail)', () => {
    let rejected = 0;
    for (const raw of [...headers, ...files]) {
      const m = message(raw);
      for (const value of needlesFor(raw)) {
        for (const key of [
          { op: 'address', field: 'from', value },
          { op: 'address', field: 'to', value },
          { op: 'header', field: 'subject', value },
          { op: 'header', field: 'from', value },
          { op: 'header', field: 'x-tag', value },
        ] as const) {
          const cannot = cannotMatchHeader(raw, key.field, value, key.op === 'address');
          if (cannot) rejected++;
          if (cannot) expect(fullMatch(m, key), `${key.op} ${key.field} ${JSON.stringify(value)} in ${JSON.stringify(raw.toString('latin1', 0, 120))}`).toBe(false);
        }
      }
    }
    // It must do its job too: most of these needles are absent from most fields.
    expect(rejected).toBeGreaterThan(1000);
  });

  it('gives, for a lone header key over a folder, what matches() gives message by message', () => {
    const entries = [...headers, ...files].map((raw, i) => ({ seq: i + 1, placement: { message: message(raw) } }) as unknown as ViewEntry);
    let found = 0;
    for (const value of ['s7@example.test', 'sender 7', 'example', 'zzz', 'message', 'caf', '']) {
      for (const key of [
        { op: 'address', field: 'from', value },
        { op: 'address', field: 'to', value },
        { op: 'header', field: 'subject', value },
        { op: 'header', field: 'x-tag', value },
      ] as const) {
        const scope = () => ({ headers: new HeaderFieldsCache(), probes: new Map() }) as unknown as SearchScope;
        // The full path alone: every message's field read into the cache first, so matches() skips the probe.
        const one = scope();
        for (const e of entries) one.headers.values(e.placement.message, key.field);
        const expected = entries.filter((e) => matches(key, e, one)).map((e) => e.seq);
        const got = filterByHeaderKey(entries, key, scope()).map((e) => e.seq);
        expect(got, `${key.op} ${key.field} ${JSON.stringify(value)}`).toEqual(expected);
        found += got.length;
      }
    }
    // Not an empty comparison: some of these keys match many messages.
    expect(found).toBeGreaterThan(50);
  });

  it('turns away the common case (a simple From without the address) and leaves unsure ones to the full path', () => {
    const raw = (h: string) => Buffer.from(`${h}\r\n\r\n`, 'latin1');
    expect(cannotMatchHeader(raw('From: Sender 8 <s8@example.test>'), 'from', 's7@example.test', true)).toBe(true);
    expect(cannotMatchHeader(raw('From: Sender 7 <S7@Example.test>'), 'from', 's7@example.test', true)).toBe(false);
    expect(cannotMatchHeader(raw('Subject: hello'), 'from', 's7@example.test', true)).toBe(true);
    // Blanks in an address needle, encoded words, folding, comments, 8-bit text: the full path decides.
    expect(cannotMatchHeader(raw('From: Ann   Lee <a@x.test>'), 'from', 'ann lee', true)).toBe(false);
    expect(cannotMatchHeader(raw('From: =?utf-8?q?Ann?= <a@x.test>'), 'from', 'zzz', true)).toBe(false);
    expect(cannotMatchHeader(raw('From: Ann\r\n <a@x.test>'), 'from', 'zzz', true)).toBe(false);
    expect(cannotMatchHeader(raw('From: <user (c)@ (c) x.org>'), 'from', 'zzz', true)).toBe(false);
    expect(cannotMatchHeader(raw('Subject: caf\xc3\xa9'), 'subject', 'zzz', false)).toBe(false);
  });
});
