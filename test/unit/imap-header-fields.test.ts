import { describe, expect, it } from 'vitest';
import { parseAddresses } from '../../src/mime/address-list.js';
import { parseAddressesFast } from '../../src/imap/commands/search/header-fields.js';

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
