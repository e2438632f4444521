import { describe, expect, it } from 'vitest';
import { addressListOf, envelopeOf } from '../../src/mime/envelope.js';
import { atom, formatImapValue, run, type ImapValue } from '../../src/mime/imap-value.js';
import { parseMimeTree } from '../../src/mime/mime-tree.js';
import { formatSection, parseSection, partialBytes, SectionSyntaxError, type BodySection } from '../../src/mime/section.js';

const text = (v: ImapValue) => formatImapValue(v).toString('utf8');

describe('formatImapValue (RFC 3501 §4)', () => {
  it.each<[string, ImapValue, string]>([
    ['NIL for null', null, 'NIL'],
    ['digits for a number', 42, '42'],
    ['an empty quoted string', '', '""'],
    ['a quoted string with \\ and " escaped', 'a"b\\c', '"a\\"b\\\\c"'],
    ['a literal for 8-bit UTF-8 text', 'é', '{2}\r\né'],
    ['a literal for text with CR LF', 'a\r\nb', '{4}\r\na\r\nb'],
    ['a literal for text with a NUL', 'a\u0000', '{2}\r\na\u0000'],
    ['a literal for a Buffer, always', Buffer.from('xyz'), '{3}\r\nxyz'],
    ['() for an empty list', [], '()'],
    ['space-separated nested lists', [null, [1, 'x']], '(NIL (1 "x"))'],
    ['runs without spaces (multipart bodies, address lists)', [run([[1], [2]]), 'MIXED'], '((1)(2) "MIXED")'],
    ['atoms bare', [atom('FLAGS'), [atom('\\Seen')]], '(FLAGS (\\Seen))'],
  ])('writes %s', (_name, value, wire) => {
    expect(text(value)).toBe(wire);
  });

  it('keeps literal bytes exact next to quoted text', () => {
    const out = formatImapValue(['a', Buffer.from([0xff, 0x00]), 'b']);
    expect(out.equals(Buffer.concat([Buffer.from('("a" {2}\r\n'), Buffer.from([0xff, 0x00]), Buffer.from(' "b")')]))).toBe(true);
  });
});

describe('parseSection (RFC 3501 §6.4.5 section-spec)', () => {
  it.each<[string, BodySection]>([
    ['', { part: [], kind: 'all' }],
    ['HEADER', { part: [], kind: 'header' }],
    ['header', { part: [], kind: 'header' }],
    ['TEXT', { part: [], kind: 'text' }],
    ['1', { part: [1], kind: 'all' }],
    ['1.2', { part: [1, 2], kind: 'all' }],
    ['1.2.MIME', { part: [1, 2], kind: 'mime' }],
    ['2.HEADER', { part: [2], kind: 'header' }],
    ['3.TEXT', { part: [3], kind: 'text' }],
    ['4.1.HEADER.FIELDS (To)', { part: [4, 1], kind: 'header.fields', fields: ['To'] }],
    ['HEADER.FIELDS ("X-A" b)', { part: [], kind: 'header.fields', fields: ['X-A', 'b'] }],
    ['HEADER.FIELDS.NOT (Subject Received)', { part: [], kind: 'header.fields.not', fields: ['Subject', 'Received'] }],
  ])('parses %j', (spec, section) => {
    expect(parseSection(spec)).toEqual(section);
  });

  it.each(['MIME', '0', '1.0', '1..2', '.1', 'HEADER.FIELDS', 'HEADER.FIELDS ()', 'TEXT (a)', 'BOGUS', '1.2.FOO', 'HEADER.FIELDS (a'])(
    'rejects %j with a SectionSyntaxError',
    (spec) => {
      expect(() => parseSection(spec)).toThrow(SectionSyntaxError);
    },
  );

  it.each([
    ['1.2.HEADER.FIELDS (To "X y")', '1.2.HEADER.FIELDS (TO "X y")'],
    ['', ''],
    ['1', '1'],
    ['text', 'TEXT'],
    ['3.mime', '3.MIME'],
  ])('echoes %j as %j in the FETCH response', (spec, echoed) => {
    expect(formatSection(parseSection(spec))).toBe(echoed);
  });

  it.each<[number, number | undefined, string]>([
    [2, 3, 'cde'],
    [0, undefined, 'abcdef'],
    [4, 100, 'ef'],
    [6, 1, ''],
    [99, 1, ''],
    [0, 0, ''],
  ])('slices <%d.%s> partially', (start, count, out) => {
    expect(partialBytes(Buffer.from('abcdef'), start, count).toString()).toBe(out);
  });
});

describe('ENVELOPE address lists (RFC 5322 §3.4 into RFC 3501 address)', () => {
  it.each<[string, string]>([
    ['a@b', '((NIL NIL "a" "b"))'],
    ['"Last, First" <a@b>', '(("Last, First" NIL "a" "b"))'],
    ['a@b (Comment Name)', '(("Comment Name" NIL "a" "b"))'],
    ['Name <a@b> (trailing comment)', '(("Name" NIL "a" "b"))'],
    ['John Q. Public <jqp@x.org>', '(("John Q. Public" NIL "jqp" "x.org"))'],
    ['<@a.example,@b.example:joe@x.org>', '((NIL "@a.example,@b.example" "joe" "x.org"))'],
    ['joe', '((NIL NIL "joe" "MISSING_DOMAIN"))'],
    ['undisclosed-recipients:;', '((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL))'],
    ['A: ;', '((NIL NIL "A" NIL)(NIL NIL NIL NIL))'],
    ['G: a@b, c@d', '((NIL NIL "G" NIL)(NIL NIL "a" "b")(NIL NIL "c" "d")(NIL NIL NIL NIL))'],
    ['"quoted local"@x.org', '((NIL NIL "\\"quoted local\\"" "x.org"))'],
    ['a@[127.0.0.1]', '((NIL NIL "a" "[127.0.0.1]"))'],
    ['"\\"Q\\" x" <a@b>', '(("\\"Q\\" x" NIL "a" "b"))'],
    ['a@b, , c@d', '((NIL NIL "a" "b")(NIL NIL "c" "d"))'],
    ['=?utf-8?q?a?= =?utf-8?q?b?= <x@y>', '(("=?utf-8?q?a?= =?utf-8?q?b?=" NIL "x" "y"))'],
    ['Jörg <j@x.de>', '(({5}\r\nJörg NIL "j" "x.de"))'],
    ['Bob <bob@x>, "Al" <al@y>', '(("Bob" NIL "bob" "x")("Al" NIL "al" "y"))'],
    ['joe@x.org <joe@x.org>', '(("joe@x.org" NIL "joe" "x.org"))'],
  ])('renders %j as %j', (header, wire) => {
    expect(text(addressListOf(header))).toBe(wire);
  });

  it.each(['', '   ', ',', '<>', '()'])('renders %j as NIL', (header) => {
    expect(addressListOf(header)).toBeNull();
  });
});

function envelopeText(headers: string): string {
  return text(envelopeOf(parseMimeTree(Buffer.from(`${headers.replace(/\n/g, '\r\n')}\r\n\r\nbody\r\n`))));
}

describe('ENVELOPE NIL and default rules (RFC 3501 §7.4.2)', () => {
  it('defaults Sender and Reply-To to From when absent', () => {
    expect(envelopeText('From: a@b')).toBe('(NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL)');
  });

  it('defaults Sender and Reply-To to From when present but empty', () => {
    expect(envelopeText('From: a@b\nSender:\nReply-To:  ')).toBe(
      '(NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL)',
    );
  });

  it('keeps an explicit Sender and Reply-To', () => {
    expect(envelopeText('From: a@b\nSender: s@b\nReply-To: r@b')).toBe(
      '(NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "s" "b")) ((NIL NIL "r" "b")) NIL NIL NIL NIL NIL)',
    );
  });

  it('is all NIL for a message without headers', () => {
    expect(envelopeText('')).toBe('(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)');
  });

  it('unfolds a folded Subject and uses the first of repeated headers', () => {
    expect(envelopeText('Subject: a\n  b\nSubject: second\nMessage-ID:\n <x@y>')).toBe('(NIL "a  b" NIL NIL NIL NIL NIL NIL NIL "<x@y>")');
  });

  it('sends an empty Subject as an empty string, not NIL', () => {
    expect(envelopeText('Subject:')).toBe('(NIL "" NIL NIL NIL NIL NIL NIL NIL NIL)');
  });
});
