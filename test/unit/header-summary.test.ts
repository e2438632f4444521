import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';
import { describe, expect, it } from 'vitest';
import { findBodyStart, headerSubject, parseAddressList, StringPool, summarizeHeaders } from '../../src/mime/header-summary.js';
import { loadMimeFixtures } from './mime-fixture-loader.js';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('summarizeHeaders', () => {
  it.each([
    ['a folded subject', 'Subject: hello\r\n world\r\n\r\nx', { subject: 'hello world' }],
    ['an encoded-word subject', 'Subject: =?ISO-8859-1?Q?caf=E9?=\r\n\r\nx', { subject: 'café' }],
    ['raw UTF-8 headers', 'Subject: Grüße\r\nFrom: Jörg <jörg@exämple.test>\r\n\r\nx', { subject: 'Grüße', from: { name: 'Jörg', address: 'jörg@exämple.test' } }],
    ['no Date header', 'Subject: x\r\n\r\n', { date: null }],
    ['an unparseable Date header', 'Date: yesterday-ish\r\n\r\n', { date: null }],
    ['a message id in angle brackets', 'Message-ID: <abc@host>\r\n\r\n', { messageId: 'abc@host' }],
    ['bare LF line endings', 'Subject: lf\nTo: a@b.test\n\nbody', { subject: 'lf', to: [{ name: '', address: 'a@b.test' }] }],
    ['group syntax', 'To: friends: a@b.test, c@d.test;, e@f.test\r\n\r\n', { to: [{ name: '', address: 'a@b.test' }, { name: '', address: 'c@d.test' }, { name: '', address: 'e@f.test' }] }],
    ['the first of repeated headers', 'Subject: one\r\nSubject: two\r\n\r\n', { subject: 'one' }],
  ])('reads %s', (_name, raw, expected) => {
    expect(summarizeHeaders(b(raw))).toMatchObject(expected);
  });

  it('parses the Date header', () => {
    expect(summarizeHeaders(b('Date: Tue, 03 Mar 2026 10:00:00 +0100\r\n\r\n')).date?.toISOString()).toBe('2026-03-03T09:00:00.000Z');
  });

  it('notices an attachment part in a multipart message', () => {
    const raw = b('Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nJVBE\r\n--x--\r\n');
    expect(summarizeHeaders(raw).hasAttachments).toBe(true);
    expect(summarizeHeaders(b('Content-Type: text/plain\r\n\r\nContent-Disposition: attachment\r\n')).hasAttachments).toBe(false);
  });

  it('never throws on garbage', () => {
    for (const raw of [Buffer.alloc(0), Buffer.from([0, 255, 13, 10, 58]), b(':::\r\n\r\n'), b('From: <<<>>>@@@\r\n\r\n')]) {
      expect(() => summarizeHeaders(raw)).not.toThrow();
    }
  });

  it('finds the body after CRLF CRLF or LF LF, and the end when there is no body', () => {
    expect(findBodyStart(b('A: 1\r\n\r\nbody'))).toBe(8);
    expect(findBodyStart(b('A: 1\n\nbody'))).toBe(6);
    expect(findBodyStart(b('A: 1\r\n'))).toBe(6);
    // Whichever blank line comes first: a bare-LF one in a CRLF message's body is body, one in its header ends it.
    expect(findBodyStart(b('A: 1\r\n\r\nbody\n\nmore\r\n\r\n'))).toBe(8);
    expect(findBodyStart(b('A: 1\n\nbody\r\n\r\nmore'))).toBe(6);
    expect(findBodyStart(b('A: 1\r\nB: 2\n\nbody\r\n\r\n'))).toBe(12);
  });
});

describe('StringPool', () => {
  it('gives the same summary as no pool, across more distinct addresses than it holds and over-long ones', () => {
    const pool = new StringPool(3);
    const long = `${'x'.repeat(300)}@example.test`;
    for (let i = 0; i < 10; i++) {
      const raw = b(`From: "Sender ${i % 4}" <s${i % 4}@example.test>\r\nTo: r${i}@example.test, <${long}>\r\nCc: s${i % 4}@example.test\r\n\r\nx`);
      expect(summarizeHeaders(raw, pool)).toEqual(summarizeHeaders(raw));
    }
    expect(pool.intern('a@example.test')).toBe('a@example.test');
  });
});

describe('parseAddressList fast path for plain addresses', () => {
  // The ingest shortcut for `a@b` and `Name <a@b>` must give what nodemailer's addressparser gives for them.
  const viaAddressparser = (value: string) =>
    (addressparser(value, { flatten: true }) as Array<{ name?: string; address?: string }>)
      .filter((a) => a.address || a.name)
      .map((a) => ({ name: libmime.decodeWords(a.name ?? ''), address: a.address ?? '' }));
  it.each([
    'a@b.test',
    'bench@example.test',
    'x.y+z_1@sub.example.test',
    'Ann Lee <ann@example.test>',
    'Ann  Lee <ann@example.test>',
    'A <a@b>',
    'O-Neil_2 <o@x.test>',
    // not plain: the general parser decides
    '"Lee, Ann" <ann@example.test>',
    'ann@example.test (Ann)',
    'a@b.test, c@d.test',
    '=?utf-8?q?J=C3=B6rg?= <j@x.test>',
    'Team: a@b.test, c@d.test;',
    'Jörg <j@x.test>',
    'Ann Lee<ann@example.test>',
    ' ann@example.test ',
  ])('%j', (value) => {
    expect(parseAddressList(value)).toEqual(viaAddressparser(value));
  });
});

describe('headerSubject', () => {
  it('gives exactly the summary\'s subject, for every fixture and for folded, encoded, repeated and missing fields', () => {
    const crafted = [
      'Subject: plain\r\n\r\nbody',
      'Subject:  folded\r\n  over\r\n\tlines \r\n\r\nbody',
      'subject: =?UTF-8?B?w6l0w6k=?= and =?ISO-8859-1?Q?caf=E9?=\r\n\r\n',
      'Subject : spaced name\r\nSubject: second\r\n\r\n',
      'From: a@b.test\nSubject: lf only\n\nbody',
      'From: a@b.test\r\n\r\nSubject: in the body\r\n',
      'X-Subject: not it\r\nSubject:\r\n\r\n',
      'Subject: no body at all',
      'Subject: =?broken?Q?=ZZ?= raw \u00e9t\u00e9\r\n\r\n',
    ].map((t) => Buffer.from(t, 'utf8'));
    const all = [...crafted, ...loadMimeFixtures().map((f) => f.raw)];
    for (const raw of all) expect(headerSubject(raw)).toBe(summarizeHeaders(raw).subject);
    expect(headerSubject(crafted[1])).toBe('folded  over\tlines');
  });
});
