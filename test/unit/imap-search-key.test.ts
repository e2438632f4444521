import { describe, expect, it } from 'vitest';
import { parseSearch } from '../../src/imap/commands/search/search-key.js';
import { ImapError } from '../../src/imap/imap-error.js';
import { tokenize } from '../../src/imap/wire/tokenizer.js';

const keys = (text: string) => parseSearch(tokenize({ segments: [Buffer.from(`a SEARCH ${text}`)], literals: [] }).slice(2));

describe('IMAP SEARCH key parsing', () => {
  it.each([
    ['ALL', { op: 'all' }],
    ['SEEN', { op: 'flag', flag: '\\Seen', isSet: true }],
    ['UNANSWERED', { op: 'flag', flag: '\\Answered', isSet: false }],
    ['KEYWORD $Label1', { op: 'flag', flag: '$Label1', isSet: true }],
    ['NEW', { op: 'new' }],
    ['OLD', { op: 'recent', isSet: false }],
    ['FROM "Ann Example"', { op: 'address', field: 'from', value: 'Ann Example' }],
    ['SUBJECT hello', { op: 'header', field: 'subject', value: 'hello' }],
    ['HEADER X-Mailer foo', { op: 'header', field: 'x-mailer', value: 'foo' }],
    ['BODY word', { op: 'body', value: 'word' }],
    ['SINCE 1-Feb-1994', { op: 'date', of: 'internal', cmp: 'since', date: new Date('1994-02-01T00:00:00Z') }],
    ['SENTBEFORE "01-Feb-1994"', { op: 'date', of: 'sent', cmp: 'before', date: new Date('1994-02-01T00:00:00Z') }],
    ['LARGER 100', { op: 'size', cmp: 'larger', size: 100 }],
    ['UID 1:*', { op: 'uid', set: [[1, '*']] }],
    ['2,4:*', { op: 'seq', set: [[2, 2], [4, '*']] }],
    ['NOT SEEN', { op: 'not', key: { op: 'flag', flag: '\\Seen', isSet: true } }],
    [
      'OR (SEEN FLAGGED) NOT OR DRAFT DELETED',
      {
        op: 'or',
        left: { op: 'and', keys: [{ op: 'flag', flag: '\\Seen', isSet: true }, { op: 'flag', flag: '\\Flagged', isSet: true }] },
        right: { op: 'not', key: { op: 'or', left: { op: 'flag', flag: '\\Draft', isSet: true }, right: { op: 'flag', flag: '\\Deleted', isSet: true } } },
      },
    ],
    ['CHARSET UTF-8 TEXT x', { op: 'text', value: 'x' }],
    ['SEEN UNDELETED', { op: 'and', keys: [{ op: 'flag', flag: '\\Seen', isSet: true }, { op: 'flag', flag: '\\Deleted', isSet: false }] }],
  ])('parses %s', (text, expected) => {
    expect(keys(text)).toEqual(expected);
  });

  it.each(['', 'FROM', 'OR SEEN', 'BEFORE 32-Jan-2020', 'BEFORE 1-Foo-2020', 'LARGER x', 'FROBNICATE', '()', `${'NOT '.repeat(1000)}ALL`])(
    'answers BAD to %j',
    (text) => {
      expect(() => keys(text)).toThrow(expect.objectContaining({ status: 'BAD' }));
    },
  );

  it('answers NO [BADCHARSET] to an unknown charset', () => {
    try {
      keys('CHARSET KOI8-R ALL');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ImapError);
      expect(err).toMatchObject({ status: 'NO', code: 'BADCHARSET (UTF-8 US-ASCII)' });
    }
  });
});
