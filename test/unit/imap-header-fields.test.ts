import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTopHeaderField, parseTopHeaders } from '../../src/mime/mime-tree.js';
import { parseAddresses } from '../../src/mime/address-list.js';
import { HeaderFieldsCache, parseAddressesFast } from '../../src/imap/commands/search/header-fields.js';
import type { StoredMessage } from '../../src/store/types.js';

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
