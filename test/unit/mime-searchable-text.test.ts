import { describe, expect, it } from 'vitest';
import { parseMimeTree } from '../../src/mime/mime-tree.js';
import { bodyTextOf, decodeQuotedPrintable, htmlToText, maxSearchableChars, textOfTree } from '../../src/mime/searchable-text.js';
import type { StoredMessage } from '../../src/store/types.js';

const message = (raw: Buffer | string) => ({ raw: typeof raw === 'string' ? Buffer.from(raw.replace(/\n/g, '\r\n')) : raw }) as StoredMessage;

function single(contentType: string, encoding: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`Content-Type: ${contentType}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`), body]);
}

describe('bodyTextOf (SEARCH BODY/TEXT and the HTTP query language)', () => {
  it.each<[string, string, string, Buffer, string]>([
    ['latin-1', 'text/plain; charset=iso-8859-1', '8bit', Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'café'],
    ['windows-1252', 'text/plain; charset=windows-1252', '8bit', Buffer.from([0x80, 0x20, 0x35]), '€ 5'],
    ['koi8-r', 'text/plain; charset=koi8-r', '8bit', Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]), 'Привет'],
    ['shift_jis', 'text/plain; charset=shift_jis', '8bit', Buffer.from([0x82, 0xb1, 0x82, 0xf1]), 'こん'],
    ['gb18030', 'text/plain; charset=gb18030', '8bit', Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), '你好'],
    ['an unknown charset as UTF-8', 'text/plain; charset=x-made-up', '8bit', Buffer.from('naïve'), 'naïve'],
    ['base64 with line breaks', 'text/plain; charset=utf-8', 'base64', Buffer.from('w7xi\r\nZXIg\r\ndW5z\r\n'), 'über uns'],
    ['quoted-printable with a soft break', 'text/plain; charset=utf-8', 'quoted-printable', Buffer.from('Gr=C3=BC=\r\n=C3=9Fe'), 'Grüße'],
    ['HTML without tags, scripts or styles', 'text/html', '7bit', Buffer.from('<style>p{}</style><p>Code:&nbsp;<b>42</b> &amp; more</p><script>x()</script>'), 'Code: 42 & more'],
  ])('decodes %s', (_name, contentType, encoding, body, expected) => {
    expect(bodyTextOf(message(single(contentType, encoding, body))).trim()).toBe(expected);
  });

  it('includes text parts of forwarded messages and leaves out non-text attachments', () => {
    const raw = [
      'Content-Type: multipart/mixed; boundary=m', '', '--m', 'Content-Type: text/plain', '', 'outer words',
      '--m', 'Content-Type: application/octet-stream', '', 'binary words', '--m', 'Content-Type: message/rfc822', '',
      'Subject: inner', '', 'inner words', '--m--', '',
    ].join('\n');
    const text = bodyTextOf(message(raw));
    expect(text).toContain('outer words');
    expect(text).toContain('inner words');
    expect(text).not.toContain('binary words');
  });

  it('stops at the size bound', () => {
    const raw = Buffer.from(`Content-Type: text/plain\r\n\r\n${'a'.repeat(maxSearchableChars + 5000)}`);
    expect(textOfTree(raw, parseMimeTree(raw))).toHaveLength(maxSearchableChars);
  });

  it.each<[string, string]>([
    ['a=3Db', 'a=b'],
    ['soft=\nbreak', 'softbreak'],
    ['trailing= \t\r\nspace', 'trailingspace'],
    ['bad=ZZ', 'bad=ZZ'],
    ['end=', 'end'],
    ['lower=c3=a9', 'loweré'],
  ])('decodes quoted-printable %j', (input, output) => {
    expect(decodeQuotedPrintable(Buffer.from(input)).toString('utf8')).toBe(output);
  });

  it.each<[string, string]>([
    ['<!-- hidden --><p>seen</p>', 'seen'],
    ['a<br>b', 'a\nb'],
    ['&#233;&#xE9;&unknown;', 'éé&unknown;'],
    ['a < b', 'a < b'],
    ['<title>T</title><SCRIPT type="x">if (a<b) {}</SCRIPT >body', 'body'],
    ['cut <b', 'cut'],
  ])('reduces HTML %j to text', (html, text) => {
    expect(htmlToText(html).trim()).toBe(text);
  });

  // Each of these is quadratic for a naive regex stripper; the test timeout is the guard.
  it.each([
    ['unclosed angle brackets', '<a'.repeat(300_000)],
    ['unclosed script elements', '<script>'.repeat(100_000)],
    ['unclosed comments', '<!--'.repeat(200_000)],
  ])('reduces hostile HTML (%s) in linear time', (_name, html) => {
    expect(typeof htmlToText(html)).toBe('string');
  });
});
