import { describe, expect, it } from 'vitest';
import { bodyStructureOf } from '../../src/mime/body-structure.js';
import { envelopeOf } from '../../src/mime/envelope.js';
import { formatImapValue } from '../../src/mime/imap-value.js';
import { mimeLimits, paramValue, parseMimeTree, type MimeNode } from '../../src/mime/mime-tree.js';
import { parseSection, sectionBytes } from '../../src/mime/section.js';

const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'utf8');
const structure = (raw: Buffer) => formatImapValue(bodyStructureOf(parseMimeTree(raw), true)).toString('utf8');
const section = (raw: Buffer, spec: string) => sectionBytes(raw, parseMimeTree(raw), parseSection(spec)).toString('utf8');

describe('Content-Type and parameters', () => {
  it.each<[string, string]>([
    ['Content-Type: TEXT/HTML; CHARSET="UTF-8"', '("TEXT" "HTML" ("CHARSET" "UTF-8") NIL NIL "7BIT" 2 1 NIL NIL NIL NIL)'],
    ['Content-Type: text/plain (comment); charset=us-ascii (Plain text)', '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 2 1 NIL NIL NIL NIL)'],
    ['Content-Type: text', '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 2 1 NIL NIL NIL NIL)'],
    ['Content-Type: application/octet-stream\nContent-Transfer-Encoding:  Base64 ', '("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 2 NIL NIL NIL NIL)'],
    ['Content-Type: text/plain; format=flowed; delsp=yes', '("TEXT" "PLAIN" ("FORMAT" "flowed" "DELSP" "yes") NIL NIL "7BIT" 2 1 NIL NIL NIL NIL)'],
    ['Content-Type: text/plain; name="a \\"q\\" ;b"', '("TEXT" "PLAIN" ("NAME" "a \\"q\\" ;b") NIL NIL "7BIT" 2 1 NIL NIL NIL NIL)'],
    ['Content-Type: text/plain\nContent-ID: <c@d>\nContent-Description: A note\nContent-MD5: Q2hlY2s=\nContent-Language: en, de\nContent-Location: http://x/y',
      '("TEXT" "PLAIN" NIL "<c@d>" "A note" "7BIT" 2 1 "Q2hlY2s=" NIL ("en" "de") "http://x/y")'],
    ['Content-Type: multipart/mixed', '("TEXT" "PLAIN" NIL NIL NIL "7BIT" 2 1 NIL NIL NIL NIL)'],
  ])('reads %j', (headers, bodystructure) => {
    expect(structure(crlf(`${headers}\n\nhi`))).toBe(bodystructure);
  });

  it.each<[string, string, string, string]>([
    ["attachment; filename*=iso-8859-1'en'%E9t%E9.txt", 'été.txt', 'FILENAME*', "iso-8859-1'en'%E9t%E9.txt"],
    ['attachment; filename*0="long"; filename*1="name.txt"', 'longname.txt', 'FILENAME', 'longname.txt'],
    ["attachment; filename*0*=utf-8''%C3%A4; filename*1=\" b.txt\"", 'ä b.txt', 'FILENAME*', "utf-8''%C3%A4%20b.txt"],
    ["attachment; filename*1*=%A4.txt; filename*0*=utf-8''%C3", 'ä.txt', 'FILENAME*', "utf-8''%C3%A4.txt"],
    ['attachment; filename="=?utf-8?q?caf=C3=A9.pdf?="', 'café.pdf', 'FILENAME', '=?utf-8?q?caf=C3=A9.pdf?='],
    ["attachment; filename*=x-unknown''abc", 'abc', 'FILENAME*', "x-unknown''abc"],
  ])('decodes Content-Disposition %j to %j and sends %s %j', (disposition, decoded, wireName, wireValue) => {
    const tree = parseMimeTree(crlf(`Content-Type: text/plain\nContent-Disposition: ${disposition}\n\nhi`));
    expect(paramValue(tree.disposition!.params, 'filename')).toBe(decoded);
    expect(tree.disposition!.params[0]).toMatchObject({ wireName: wireName.toLowerCase(), wireValue });
  });
});

function multipart(boundary: string, parts: string[], close = true, preamble = ''): string {
  const body = parts.map((p) => `--${boundary}\n${p}\n`).join('');
  return `Content-Type: multipart/mixed; boundary="${boundary}"\n\n${preamble}${body}${close ? `--${boundary}--\n` : ''}`;
}

describe('multipart splitting (RFC 2046 §5.1.1)', () => {
  it('does not mistake a longer boundary that starts with the outer one for the outer boundary', () => {
    const inner = multipart('b2', ['Content-Type: text/plain\n\none', 'Content-Type: text/plain\n\ntwo']).trimEnd();
    const raw = crlf(multipart('b', [inner, 'Content-Type: text/plain\n\nthree']));
    const tree = parseMimeTree(raw);
    expect(tree.children.map((c) => c.children.length)).toEqual([2, 0]);
    expect(section(raw, '1.2')).toBe('two');
    expect(section(raw, '2')).toBe('three');
  });

  it('accepts transport padding after a boundary', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary=x\n\n--x \t\nContent-Type: text/plain\n\nA\n--x-- \n');
    expect(section(raw, '1')).toBe('A');
  });

  it('ignores the boundary string when it is not at the start of a line', () => {
    const raw = crlf(multipart('x', ['Content-Type: text/plain\n\nsee --x here']));
    expect(section(raw, '1')).toBe('see --x here');
  });

  it('gives a part without headers the default type and its whole body', () => {
    const raw = crlf(multipart('x', ['\nplain body']));
    expect(structure(raw)).toBe('(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "x") NIL NIL NIL)');
  });

  it('skips a preamble that contains something like a boundary', () => {
    const raw = crlf(multipart('x', ['Content-Type: text/plain\n\nbody'], true, '--xy not a boundary\n'));
    expect(parseMimeTree(raw).children).toHaveLength(1);
    expect(section(raw, '1')).toBe('body');
  });

  it('gives a multipart without any boundary line one empty part, as the grammar needs one', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary=x\n\nno parts here\n');
    expect(structure(raw)).toBe('(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "x") NIL NIL NIL)');
  });

  it('reads a message/rfc822 that is the whole message as part 1', () => {
    const raw = crlf('Content-Type: message/rfc822\n\nSubject: inner\n\nhello');
    expect(section(raw, '1')).toBe('Subject: inner\r\n\r\nhello');
    expect(section(raw, '1.HEADER')).toBe('Subject: inner\r\n\r\n');
    expect(section(raw, '1.1')).toBe('hello');
  });
});

describe('line counts', () => {
  it.each<[string, string, number]>([
    ['a body ending in a line break', 'a\nb\n', 2],
    ['a last line without a line break', 'a\nb', 2],
    ['an empty body', '', 0],
    ['bare LF lines', 'a\nb\nc', 3],
  ])('counts %s', (_name, body, lines) => {
    const raw = Buffer.from(`Content-Type: text/plain\r\n\r\n${body}`);
    expect(parseMimeTree(raw).lines).toBe(lines);
  });

  it.each([1_000, 40_000, 70_000])('counts %d lines in nested messages the same at every level', (n) => {
    const body = 'line\r\n'.repeat(n);
    const raw = Buffer.from(`Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: text/plain\r\n\r\n${body}`);
    const tree = parseMimeTree(raw);
    expect([tree.message!.message!.lines, tree.message!.lines, tree.lines]).toEqual([n, n + 2, n + 4]);
  });
});

describe('8-bit header text', () => {
  it.each<[string, Buffer, string]>([
    ['UTF-8 (RFC 6532)', Buffer.from('Subject: Grüße\r\n\r\n'), 'Grüße'],
    ['raw latin-1 from a careless sender', Buffer.from([...Buffer.from('Subject: caf'), 0xe9, 0x0d, 0x0a, 0x0d, 0x0a]), 'café'],
  ])('reads %s', (_name, raw, subject) => {
    expect(parseMimeTree(raw).headers[0]!.value).toBe(subject);
  });
});

describe('header fields in sections', () => {
  const raw = crlf('Received: one\nSubject: folded\n  line\nreceived: two\nTo: x@y\n\nbody');

  it('returns every matching field verbatim, folding included, in message order', () => {
    expect(section(raw, 'HEADER.FIELDS (To RECEIVED Subject)')).toBe('Received: one\r\nSubject: folded\r\n  line\r\nreceived: two\r\nTo: x@y\r\n\r\n');
  });

  it('returns the other fields for HEADER.FIELDS.NOT', () => {
    expect(section(raw, 'HEADER.FIELDS.NOT (Received Subject)')).toBe('To: x@y\r\n\r\n');
  });

  it('adds a line break to a last field that had none before the blank line', () => {
    const cut = Buffer.from('Subject: cut');
    expect(section(cut, 'HEADER.FIELDS (Subject)')).toBe('Subject: cut\r\n\r\n');
  });
});

function depthOf(node: MimeNode): number {
  const below = [...node.children, ...(node.message ? [node.message] : [])].map(depthOf);
  return 1 + (below.length ? Math.max(...below) : 0);
}

function countParts(node: MimeNode): number {
  return 1 + node.children.reduce((n, c) => n + countParts(c), 0) + (node.message ? countParts(node.message) : 0);
}

describe('limits against hostile messages', () => {
  it('stops nesting multiparts at the depth limit without overflowing the stack', () => {
    let raw = 'innermost';
    for (let i = 0; i < 5000; i++) raw = `Content-Type: multipart/mixed; boundary=b${i}\n\n--b${i}\n${raw}\n--b${i}--`;
    const tree = parseMimeTree(crlf(raw));
    expect(depthOf(tree)).toBeLessThanOrEqual(mimeLimits.maxDepth + 1);
    expect(() => formatImapValue(bodyStructureOf(tree, true))).not.toThrow();
  });

  it('stops nesting message/rfc822 at the depth limit', () => {
    const raw = crlf('Content-Type: message/rfc822\n\n'.repeat(20_000) + 'end');
    const tree = parseMimeTree(raw);
    expect(depthOf(tree)).toBeLessThanOrEqual(mimeLimits.maxDepth + 1);
    expect(formatImapValue(bodyStructureOf(tree, true)).length).toBeGreaterThan(0);
  });

  it('keeps at most the part limit of parts', () => {
    const raw = crlf(multipart('p', Array.from({ length: 15_000 }, () => '\nx')));
    expect(countParts(parseMimeTree(raw))).toBeLessThanOrEqual(mimeLimits.maxParts);
  });

  // Quadratic scans would take minutes here; the test timeout is the guard.
  it('parses a huge header of colon-less lines in linear time', () => {
    const raw = Buffer.from('x\r\n'.repeat(400_000) + 'Subject: end\r\n\r\nbody');
    expect(parseMimeTree(raw).headers.map((h) => h.name)).toEqual(['subject']);
  });

  it('parses a hostile address header in linear time', () => {
    const raw = Buffer.from(`To: a@b${':'.repeat(300_000)}\r\n\r\n`);
    expect(() => envelopeOf(parseMimeTree(raw))).not.toThrow();
  });

  it('keeps at most the header field limit of fields', () => {
    const raw = Buffer.from('X-A: b\r\n'.repeat(50_000) + '\r\nbody');
    expect(parseMimeTree(raw).headers).toHaveLength(mimeLimits.maxHeaderFields);
  });
});
