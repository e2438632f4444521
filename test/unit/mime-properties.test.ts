import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyStructureOf } from '../../src/mime/body-structure.js';
import { envelopeOf } from '../../src/mime/envelope.js';
import { formatImapValue, type ImapValue } from '../../src/mime/imap-value.js';
import { headerValues, parseMimeTree, type MimeNode } from '../../src/mime/mime-tree.js';
import { textOfTree } from '../../src/mime/searchable-text.js';
import { parseSection, sectionBytes } from '../../src/mime/section.js';
import { describeStructure } from '../../src/mime/structure-info.js';

/** What the wire can carry back: strings (quoted), Buffers (literals), numbers, NIL, atoms, lists. */
type Parsed = string | number | null | Buffer | { atom: string } | Parsed[];

/** A tiny IMAP data parser (RFC 3501 §4), independent of the encoder under test. */
function parseImap(bytes: Buffer): Parsed {
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at ${pos}: ${bytes.toString('latin1', pos, pos + 20)}`);
  };
  const value = (): Parsed => {
    const c = bytes[pos];
    if (c === 0x28) {
      pos++;
      const items: Parsed[] = [];
      while (bytes[pos] !== 0x29) {
        if (pos >= bytes.length) fail('unterminated list');
        if (items.length > 0 && bytes[pos] === 0x20) pos++;
        items.push(value());
      }
      pos++;
      return items;
    }
    if (c === 0x22) {
      let out = '';
      for (pos++; bytes[pos] !== 0x22; pos++) {
        if (pos >= bytes.length) fail('unterminated string');
        if (bytes[pos] === 0x5c) pos++;
        out += String.fromCharCode(bytes[pos]!);
      }
      pos++;
      return out;
    }
    if (c === 0x7b) {
      const close = bytes.indexOf('}', pos);
      const n = Number(bytes.toString('latin1', pos + 1, close));
      if (bytes[close + 1] !== 0x0d || bytes[close + 2] !== 0x0a) fail('literal without CRLF');
      pos = close + 3 + n;
      return Buffer.from(bytes.subarray(close + 3, pos));
    }
    const m = /^[^ ()]+/.exec(bytes.toString('latin1', pos, pos + 200));
    if (!m) return fail('unexpected byte');
    pos += m[0].length;
    if (m[0] === 'NIL') return null;
    if (/^\d+$/.test(m[0])) return Number(m[0]);
    return { atom: m[0] };
  };
  const out = value();
  if (pos !== bytes.length) fail('trailing bytes');
  return out;
}

/** The value as it should come back: runs spliced into their list, non-quotable strings as UTF-8 bytes. */
function expectedBack(v: ImapValue): Parsed {
  if (v === null || typeof v === 'number') return v;
  if (typeof v === 'string') return /[^\x01-\x09\x0b\x0c\x0e-\x7f]/.test(v) ? Buffer.from(v, 'utf8') : v;
  if (Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.flatMap((item) => (item && typeof item === 'object' && 'run' in item ? item.run.map(expectedBack) : [expectedBack(item)]));
  if ('atom' in v) return { atom: v.atom };
  throw new Error('a run outside a list');
}

const listOnlyRun = (list: fc.Arbitrary<ImapValue[]>) => fc.array(list, { minLength: 1, maxLength: 3 }).map((items) => ({ run: items }));

const { value: imapValue } = fc.letrec<{ value: ImapValue; list: ImapValue[] }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.nat(),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    fc.stringMatching(/^[A-Z\\][A-Z0-9.]{0,8}$/).filter((a) => a !== 'NIL').map((atom) => ({ atom })),
    tie('list'),
  ),
  list: fc.array(fc.oneof(tie('value'), listOnlyRun(tie('list') as fc.Arbitrary<ImapValue[]>)), { maxLength: 5 }),
}));

const mimeLines = [
  'Content-Type: multipart/mixed; boundary=a', 'Content-Type: multipart/alternative; boundary="b"',
  'Content-Type: multipart/digest; boundary=a', 'Content-Type: message/rfc822', 'Content-Type: text/html; charset=koi8-r',
  'Content-Type: text/plain; name*0*=utf-8\'\'%E2%82; name*1*=%AC', 'Content-Transfer-Encoding: base64',
  'Content-Transfer-Encoding: quoted-printable', 'Content-Disposition: attachment; filename="x', 'To: g: a@b, <@r:c@d>;, "q',
  'From: =?utf-8?q?=C3=A9?= <x@y>', 'Subject: \u00e9t\u00e9', ' folded', '--a', '--a--', '--b', '--b--', '', '', 'body =C3=A9 <p>x</p>',
  'QUJD', 'Content-Type: multipart/mixed', '--', '=', '\u0000',
];

const mimeish = fc
  .tuple(fc.array(fc.constantFrom(...mimeLines), { maxLength: 60 }), fc.constantFrom('\r\n', '\n'))
  .map(([lines, eol]) => Buffer.from(lines.join(eol), 'utf8'));

const sectionSpecs = ['', 'HEADER', 'TEXT', '1', '1.MIME', '1.HEADER', '2.1', '1.1.TEXT', 'HEADER.FIELDS (To From)', '3.HEADER.FIELDS.NOT (Subject)'];

function exerciseEverything(raw: Buffer): void {
  const tree = parseMimeTree(raw);
  parseImap(formatImapValue(envelopeOf(tree)));
  parseImap(formatImapValue(bodyStructureOf(tree, true)));
  parseImap(formatImapValue(bodyStructureOf(tree, false)));
  describeStructure(tree);
  textOfTree(raw, tree);
  headerValues(tree, 'subject');
  for (const spec of sectionSpecs) sectionBytes(raw, tree, parseSection(spec));
  checkNesting(tree, 0, raw.length);
}

function checkNesting(node: MimeNode, start: number, end: number): void {
  if (!(start <= node.headerStart && node.headerStart <= node.bodyStart && node.bodyStart <= node.end && node.end <= end)) {
    throw new Error(`part ${node.path} escapes its parent`);
  }
  for (const child of node.children) checkNesting(child, node.bodyStart, node.end);
  if (node.message) checkNesting(node.message, node.bodyStart, node.end);
}

/** A MIME tree model the generator serialises; the parser must find exactly it again. */
type Model =
  | { kind: 'leaf'; type: string; body: string }
  | { kind: 'multipart'; subtype: string; children: Model[] }
  | { kind: 'message'; inner: Model };

const { model } = fc.letrec<{ model: Model }>((tie) => ({
  model: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      kind: fc.constant('leaf' as const),
      type: fc.constantFrom('text/plain', 'text/html', 'image/png', 'application/pdf'),
      // Bodies never contain '-' so they cannot contain a boundary line.
      body: fc.stringMatching(/^[a-z0-9 .\r\n]{0,60}$/).map((b) => b.replace(/\r(?!\n)/g, '').replace(/(?<!\r)\n/g, '\r\n')),
    }),
    fc.record({
      kind: fc.constant('multipart' as const),
      subtype: fc.constantFrom('mixed', 'alternative', 'related'),
      children: fc.array(tie('model'), { minLength: 1, maxLength: 4 }),
    }),
    fc.record({ kind: fc.constant('message' as const), inner: tie('model') }),
  ),
}));

function serialise(m: Model, counter: { n: number }): string {
  if (m.kind === 'leaf') return `Content-Type: ${m.type}\r\n\r\n${m.body}`;
  if (m.kind === 'message') return `Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n${serialise(m.inner, counter)}`;
  const b = `=_b${counter.n++}`;
  const parts = m.children.map((c) => `--${b}\r\n${serialise(c, counter)}\r\n`).join('');
  return `Content-Type: multipart/${m.subtype}; boundary="${b}"\r\n\r\n${parts}--${b}--`;
}

const join = (prefix: string, n: number) => (prefix ? `${prefix}.${n}` : String(n));

/**
 * Every leaf of a message's content with the IMAP part number that must fetch its body (RFC 3501 §6.4.5): a
 * multipart's parts are numbered from 1; a message that is not multipart has its body as part 1.
 */
function leavesOfMessage(m: Model, prefix: string): Array<{ path: string; body: string }> {
  return m.kind === 'multipart' ? m.children.flatMap((c, i) => leavesOfPart(c, join(prefix, i + 1))) : leavesOfPart(m, join(prefix, 1));
}

function leavesOfPart(m: Model, path: string): Array<{ path: string; body: string }> {
  if (m.kind === 'leaf') return [{ path, body: m.body }];
  if (m.kind === 'message') return leavesOfMessage(m.inner, path);
  return m.children.flatMap((c, i) => leavesOfPart(c, `${path}.${i + 1}`));
}

describe('MIME properties', () => {
  it('finds every part of a generated MIME tree at its IMAP part number with its exact body', () => {
    fc.assert(
      fc.property(model, (m) => {
        const raw = Buffer.from(`Subject: generated\r\n${serialise(m, { n: 0 })}`);
        const tree = parseMimeTree(raw);
        for (const leaf of leavesOfMessage(m, '')) {
          expect(sectionBytes(raw, tree, parseSection(leaf.path)).toString(), `part ${leaf.path}`).toBe(leaf.body);
        }
        parseImap(formatImapValue(bodyStructureOf(tree, true)));
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on random bytes, and everything it renders is valid IMAP syntax', () => {
    expect(() => fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (a) => exerciseEverything(Buffer.from(a))), { numRuns: 400 })).not.toThrow();
  });

  it('never throws on random MIME-looking messages, and parts nest inside their parents', () => {
    expect(() => fc.assert(fc.property(mimeish, exerciseEverything), { numRuns: 600 })).not.toThrow();
  });

  it('encodes any IMAP value so that an independent parser reads the same value back', () => {
    fc.assert(
      fc.property(imapValue, (v) => {
        expect(parseImap(formatImapValue(v))).toEqual(expectedBack(v));
      }),
      { numRuns: 800 },
    );
  });
});
