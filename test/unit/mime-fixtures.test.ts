import { describe, expect, it } from 'vitest';
import { bodyStructureOf } from '../../src/mime/body-structure.js';
import { envelopeOf } from '../../src/mime/envelope.js';
import { formatImapValue } from '../../src/mime/imap-value.js';
import { MimeCache } from '../../src/mime/mime-cache.js';
import { decodedHeaderText, headerValues, parseMimeTree, type MimeNode } from '../../src/mime/mime-tree.js';
import { bodyTextOf } from '../../src/mime/searchable-text.js';
import { parseSection, sectionBytes } from '../../src/mime/section.js';
import { describeStructure, type MimePartInfo } from '../../src/mime/structure-info.js';
import type { StoredMessage } from '../../src/store/types.js';
import { loadMimeFixtures } from './mime-fixture-loader.js';

const fixtures = loadMimeFixtures();

function asMessage(raw: Buffer): StoredMessage {
  return { raw } as StoredMessage;
}

function flattenInfo(info: MimePartInfo): MimePartInfo[] {
  return [info, ...info.children.flatMap(flattenInfo)];
}

describe('MIME fixtures (expected values written from RFC 3501 §7.4.2)', () => {
  it('has a fixture for every case the brief lists', () => {
    expect(fixtures.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'plain-text', 'utf8-8bit', 'alternative', 'related-inline', 'mixed-attachments', 'forwarded',
        'encoded-words', 'groups', 'missing-date-id', 'no-body', 'bare-lf', 'broken-multipart',
      ]),
    );
  });

  it.each(fixtures)('renders the ENVELOPE of $name exactly', ({ raw, envelope }) => {
    expect(formatImapValue(envelopeOf(parseMimeTree(raw))).toString('utf8')).toBe(envelope);
  });

  it.each(fixtures)('renders the BODYSTRUCTURE of $name exactly', ({ raw, bodystructure }) => {
    expect(formatImapValue(bodyStructureOf(parseMimeTree(raw), true)).toString('utf8')).toBe(bodystructure);
  });

  it.each(fixtures)('renders the non-extensible BODY of $name exactly', ({ raw, body }) => {
    expect(formatImapValue(bodyStructureOf(parseMimeTree(raw), false)).toString('utf8')).toBe(body);
  });

  const sectionCases = fixtures.flatMap((f) =>
    Object.entries(f.sections).map(([section, bytes]) => ({ name: f.name, raw: f.raw, section, bytes })),
  );
  it.each(sectionCases)('returns BODY[$section] of $name', ({ raw, section, bytes }) => {
    const tree = parseMimeTree(raw);
    expect(sectionBytes(raw, tree, parseSection(section)).toString('utf8')).toBe(bytes);
  });

  it.each(fixtures)('returns the whole message for BODY[] of $name', ({ raw }) => {
    expect(sectionBytes(raw, parseMimeTree(raw), parseSection('')).equals(raw)).toBe(true);
  });

  it.each(fixtures)('finds the decoded body text of $name for SEARCH', ({ raw, searchText, notInSearchText }) => {
    const text = bodyTextOf(asMessage(raw));
    // A fixture with nothing to find (no body) must give no text at all.
    if (searchText.length === 0) expect(text.trim()).toBe('');
    for (const s of searchText) expect(text).toContain(s);
    for (const s of notInSearchText ?? []) expect(text).not.toContain(s);
  });

  it.each(fixtures.filter((f) => f.decodedHeaders))('decodes the headers of $name for SEARCH', ({ raw, decodedHeaders }) => {
    const tree = parseMimeTree(raw);
    for (const [name, values] of Object.entries(decodedHeaders!)) expect(headerValues(tree, name)).toEqual(values);
    for (const [name, values] of Object.entries(decodedHeaders!)) expect(decodedHeaderText(tree)).toContain(`${name}: ${values[0]}`);
  });

  it.each(fixtures.filter((f) => f.structure))('describes the MIME structure of $name for the web UI', ({ raw, structure }) => {
    const parts = flattenInfo(describeStructure(parseMimeTree(raw)));
    for (const want of structure!) {
      const got = parts.find((p) => p.path === want.path && (!want.contentType || p.contentType === want.contentType));
      expect(got, `part ${String(want.path)}`).toMatchObject(want);
    }
  });

  it.each(fixtures)('keeps every offset of $name inside the message and ordered', ({ raw }) => {
    const check = (n: MimeNode): void => {
      expect(n.headerStart).toBeLessThanOrEqual(n.bodyStart);
      expect(n.bodyStart).toBeLessThanOrEqual(n.end);
      expect(n.end).toBeLessThanOrEqual(raw.length);
      expect(n.size).toBe(n.end - n.bodyStart);
      n.children.forEach(check);
      if (n.message) check(n.message);
    };
    check(parseMimeTree(raw));
  });

  it('caches one tree and one search text per message in a MimeCache', () => {
    const cache = new MimeCache();
    const message = asMessage(fixtures[0]!.raw);
    expect(cache.treeOf(message)).toBe(cache.treeOf(message));
    expect(cache.bodyTextOf(message)).toBe(bodyTextOf(message));
    expect(new MimeCache().treeOf(message)).not.toBe(cache.treeOf(message));
  });

  it('parses a transient tree afresh each time, and hands out the kept one once something keeps it', () => {
    const cache = new MimeCache();
    const message = asMessage(fixtures[0]!.raw);
    const transient = cache.transientTreeOf(message);
    expect(transient).toEqual(parseMimeTree(fixtures[0]!.raw));
    expect(cache.transientTreeOf(message)).not.toBe(transient);
    // The search text keeps no tree either.
    cache.bodyTextOf(message);
    expect(cache.transientTreeOf(message)).not.toBe(cache.transientTreeOf(message));
    const kept = cache.treeOf(message);
    expect(cache.transientTreeOf(message)).toBe(kept);
  });
});
