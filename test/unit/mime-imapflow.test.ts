import { describe, expect, it } from 'vitest';
// imapflow's own response parser and its ENVELOPE/BODYSTRUCTURE readers: a second, independent reading of our output.
import imapParser from 'imapflow/lib/handler/imap-parser.js';
import { ImapStream } from 'imapflow/lib/handler/imap-stream.js';
import { parseBodystructure, parseEnvelope } from 'imapflow/lib/tools.js';
import { bodyStructureOf } from '../../src/mime/body-structure.js';
import { envelopeOf } from '../../src/mime/envelope.js';
import { formatImapValue } from '../../src/mime/imap-value.js';
import { parseMimeTree } from '../../src/mime/mime-tree.js';
import { loadMimeFixtures } from './mime-fixture-loader.js';

interface FlowNode {
  part?: string;
  childNodes?: FlowNode[];
  [key: string]: unknown;
}

/** Builds an untagged FETCH line the way a server would send it and lets imapflow parse it. */
async function fetchAttributes(raw: Buffer): Promise<{ envelope: Record<string, unknown>; structure: FlowNode }> {
  const tree = parseMimeTree(raw);
  const line = Buffer.concat([
    Buffer.from('* 1 FETCH (ENVELOPE '),
    formatImapValue(envelopeOf(tree)),
    Buffer.from(' BODYSTRUCTURE '),
    formatImapValue(bodyStructureOf(tree, true)),
    Buffer.from(')\r\n'),
  ]);
  const { payload, literals } = await frame(line);
  const response = (await imapParser(payload, { literals })) as { command: string; attributes: unknown[] };
  expect(response.command).toBe('1');
  expect((response.attributes[0] as { value: string }).value).toBe('FETCH');
  const items = response.attributes[1] as Array<{ value?: string } | unknown[]>;
  const byName = new Map<string, unknown>();
  for (let i = 0; i < items.length; i += 2) byName.set(String((items[i] as { value: string }).value), items[i + 1]);
  return {
    envelope: parseEnvelope(byName.get('ENVELOPE') as never) as Record<string, unknown>,
    structure: parseBodystructure(byName.get('BODYSTRUCTURE') as never) as unknown as FlowNode,
  };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {}, trace() {}, fatal() {} };

/** imapflow's own framer cuts the line and its literals (by bytes), exactly as on a real connection. */
function frame(line: Buffer): Promise<{ payload: Buffer; literals: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const stream = new ImapStream({ logger: quiet } as never);
    stream.once('error', reject);
    stream.once('data', (item: { payload: Buffer; literals: Buffer[]; next: () => void }) => {
      item.next();
      resolve(item);
    });
    stream.write(line);
  });
}

function flatten(node: FlowNode): FlowNode[] {
  return [node, ...(node.childNodes ?? []).flatMap(flatten)];
}

/** Dates become ISO strings and Buffers text, so the JSON fixture can state them. */
function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  return value;
}

const fixtures = loadMimeFixtures();

describe('imapflow reads our ENVELOPE and BODYSTRUCTURE as the fixtures say', () => {
  it.each(fixtures)('parses the envelope of $name to the expected addresses and fields', async ({ raw, imapflow }) => {
    const { envelope } = await fetchAttributes(raw);
    expect(normalise(envelope)).toMatchObject(imapflow.envelope);
    for (const key of imapflow.absentEnvelopeKeys ?? []) expect(envelope).not.toHaveProperty(key);
  });

  it.each(fixtures)('parses the body structure of $name to the expected parts', async ({ raw, imapflow }) => {
    const { structure } = await fetchAttributes(raw);
    const parts = flatten(structure).map((p) => {
      const { childNodes: _children, ...rest } = p;
      return normalise(rest);
    });
    expect(parts).toHaveLength(imapflow.parts.length);
    imapflow.parts.forEach((want, i) => expect(parts[i], `part #${i}`).toMatchObject(want));
  });
});
