import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import type { Sandbox } from '../../src/index.js';
import { loadMimeFixtures } from '../unit/mime-fixture-loader.js';
import { fetchOne, imapSandbox, imapflowClient } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * The MIME fixtures (fixtures/messages/*.eml with hand-written expectations) end to end: delivered into a
 * mailbox, fetched over a real connection, read by a byte-level client and by imapflow.
 */
const fixtures = loadMimeFixtures().map((f, i) => ({ ...f, seq: i + 1 }));
let sandbox: Sandbox;
let raw: RawImap;
let flow: ImapFlow;

beforeAll(async () => {
  sandbox = await imapSandbox();
  // Straight into the store: sandbox.deliver() turns bare LF into CRLF as SMTP would, and the bare-LF fixture is
  // there to check that IMAP serves such bytes exactly as stored.
  for (const f of fixtures) sandbox.store.deliver({ raw: f.raw, envelope: { mailFrom: '', rcptTo: ['fixtures@example.test'] }, source: 'api' });
  raw = await RawImap.connect(sandbox.ports.imap!);
  await raw.command('L', 'LOGIN fixtures@example.test x');
  await raw.command('S', 'EXAMINE INBOX');
  flow = await imapflowClient(sandbox, 'fixtures@example.test');
  await flow.mailboxOpen('INBOX', { readOnly: true });
});

afterAll(async () => {
  raw?.end();
  await flow?.logout().catch(() => {});
  await sandbox?.close();
});

/** What the wire carries for a UTF-8 expectation, in the raw client's latin1 view of the bytes. */
const wire = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

function flatten(node: { childNodes?: unknown[] }): Array<Record<string, unknown>> {
  const { childNodes, ...rest } = node as { childNodes?: Array<{ childNodes?: unknown[] }> };
  return [rest, ...(childNodes ?? []).flatMap(flatten)];
}

function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

describe('IMAP FETCH of the MIME fixtures', () => {
  it.each(fixtures)('sends the exact ENVELOPE, BODYSTRUCTURE and BODY of $name', async ({ seq, envelope, bodystructure, body }) => {
    const reply = await raw.command(`F${seq}`, `FETCH ${seq} (ENVELOPE BODYSTRUCTURE BODY)`);
    expect(reply).toContain(`ENVELOPE ${wire(envelope)}`);
    expect(reply).toContain(`BODYSTRUCTURE ${wire(bodystructure)}`);
    expect(reply).toContain(`BODY ${wire(body)}`);
  });

  it('sends every fixture whole and in order in one header sync (FETCH 1:*), literals and plain text mixed', async () => {
    // The 8-bit fixture's ENVELOPE carries a literal (bytes); the others are text joined into the batch around it.
    expect(fixtures.some((f) => /\{\d+\}\r\n/.test(f.envelope))).toBe(true);
    const reply = await raw.command('H', 'FETCH 1:* (ENVELOPE BODYSTRUCTURE)');
    const expected = fixtures.map((f) => `* ${f.seq} FETCH (ENVELOPE ${wire(f.envelope)} BODYSTRUCTURE ${wire(f.bodystructure)})\r\n`).join('');
    expect(reply.startsWith(expected)).toBe(true);
    expect(reply.slice(expected.length)).toMatch(/^H OK/);
  });

  it.each(fixtures)('sends the expected bytes of each section of $name', async ({ seq, sections }) => {
    for (const [section, expected] of Object.entries(sections)) {
      const reply = await raw.command(`B${seq}`, `FETCH ${seq} BODY.PEEK[${section}]`);
      const bytes = Buffer.from(expected, 'utf8');
      expect(reply, section).toContain(`{${bytes.length}}\r\n${bytes.toString('latin1')})`);
    }
  });

  it.each(fixtures)('sends BODY[] of $name byte for byte as stored', async ({ seq, raw: bytes }) => {
    const m = await fetchOne(flow, String(seq), { source: true });
    expect(m.source?.equals(bytes)).toBe(true);
  });

  it.each(fixtures)('lets imapflow read the envelope and structure of $name as expected', async ({ seq, imapflow }) => {
    const m = await fetchOne(flow, String(seq), { envelope: true, bodyStructure: true });
    expect(normalise(m.envelope)).toMatchObject(imapflow.envelope);
    for (const key of imapflow.absentEnvelopeKeys ?? []) expect(m.envelope).not.toHaveProperty(key);
    const parts = flatten(m.bodyStructure as { childNodes?: unknown[] }).map(normalise);
    expect(parts).toHaveLength(imapflow.parts.length);
    imapflow.parts.forEach((want, i) => expect(parts[i], `part #${i}`).toMatchObject(want));
  });

  it.each(fixtures.filter((f) => f.searchText.length > 0))('finds $name by words of its decoded text with SEARCH BODY', async ({ seq, searchText }) => {
    for (const text of searchText) {
      const reply = await raw.command(`S${seq}`, `SEARCH CHARSET UTF-8 BODY {${Buffer.byteLength(text)}+}\r\n${text}`);
      expect(reply.split('\r\n').find((l) => l.startsWith('* SEARCH'))?.split(' ').slice(2).map(Number), text).toContain(seq);
    }
  });
});
