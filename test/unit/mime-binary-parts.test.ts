import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binaryEntity, encodeBinaryParts } from '../../src/mime/binary-parts.js';
import { parseMimeTree, type MimeNode } from '../../src/mime/mime-tree.js';
import { transferDecode } from '../../src/mime/searchable-text.js';

const bin = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80, 0x00]);
const msg = (...parts: Array<string | Buffer>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));

describe('encodeBinaryParts (what a literal8 APPEND stores, as Dovecot does)', () => {
  it('re-encodes a single-part binary body as base64 and relabels it, keeping every other header in place', () => {
    const raw = msg('From: a@example.test\r\nContent-Transfer-Encoding: BINARY\r\nSubject: s\r\n\r\n', bin);
    const out = encodeBinaryParts(raw);
    expect(out.toString('latin1')).toBe(`From: a@example.test\r\nContent-Transfer-Encoding: base64\r\nSubject: s\r\n\r\n${bin.toString('base64')}`);
    const node = parseMimeTree(out);
    expect(transferDecode(out.subarray(node.bodyStart, node.end), node.encoding!)).toEqual(bin);
  });

  it('converts only the binary leaf parts of a multipart, leaving boundaries and other parts byte for byte', () => {
    const big = Buffer.alloc(200, 0xab);
    const raw = msg(
      'Content-Type: multipart/mixed; boundary="b"\r\nContent-Transfer-Encoding: binary\r\n\r\n',
      '--b\r\nContent-Type: text/plain\r\n\r\nplain \xe9 text\r\n',
      '--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n', big, '\r\n',
      '--b--\r\n',
    );
    const out = encodeBinaryParts(raw).toString('latin1');
    // The multipart's own `binary` label stays (its parts speak for themselves).
    expect(out.startsWith('Content-Type: multipart/mixed; boundary="b"\r\nContent-Transfer-Encoding: binary\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain \xe9 text\r\n--b\r\n')).toBe(true);
    const b64 = big.toString('base64');
    expect(out).toContain(`Content-Transfer-Encoding: base64\r\n\r\n${b64.match(/.{1,76}/g)!.join('\r\n')}\r\n--b--\r\n`);
    expect(out.split('\r\n').every((l) => l.length <= 78)).toBe(true);
  });

  it('returns a message without binary parts unchanged (the same buffer)', () => {
    const raw = Buffer.from('Subject: x\r\nContent-Transfer-Encoding: 8bit\r\n\r\nh\xe9', 'latin1');
    expect(encodeBinaryParts(raw)).toBe(raw);
  });
});

/** Leaves decoded as FETCH BINARY does for base64; everything else as it is. */
const decodeLeaf = (raw: Buffer) => (leaf: MimeNode): Buffer => {
  const body = raw.subarray(leaf.bodyStart, leaf.end);
  return leaf.encoding === 'base64' ? transferDecode(body, 'base64') : body;
};

describe('binaryEntity (what FETCH BINARY[] sends, as Dovecot shapes it)', () => {
  const fixtures = readdirSync(new URL('../../fixtures/messages/', import.meta.url)).filter((f) => f.endsWith('.eml'));

  it.each(fixtures)('gives back every byte of a message whose parts need no decoding: %s', (file) => {
    const raw = readFileSync(new URL(`../../fixtures/messages/${file}`, import.meta.url));
    const identity = (leaf: MimeNode): Buffer => raw.subarray(leaf.bodyStart, leaf.end);
    expect(binaryEntity(raw, parseMimeTree(raw), true, identity)).toEqual(raw);
  });

  it('turns a literal8-appended message back into what was sent, its CTE header now last and saying binary', () => {
    const sent = msg(
      'Content-Type: multipart/mixed; boundary="b"\r\n\r\npreamble\r\n',
      '--b\r\nContent-Transfer-Encoding: binary\r\nContent-Type: application/octet-stream\r\n\r\n', bin, '\r\n',
      '--b--\r\nepilogue\r\n',
    );
    const stored = encodeBinaryParts(sent);
    expect(stored.includes(0)).toBe(false);
    const back = binaryEntity(stored, parseMimeTree(stored), true, decodeLeaf(stored));
    expect(back).toEqual(msg(
      'Content-Type: multipart/mixed; boundary="b"\r\n\r\npreamble\r\n',
      '--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n', bin, '\r\n',
      '--b--\r\nepilogue\r\n',
    ));
    // Without its own header (BINARY[1] of the multipart's part): just the bytes.
    const part = parseMimeTree(stored).children[0];
    expect(binaryEntity(stored, part, false, decodeLeaf(stored))).toEqual(bin);
  });
});
