import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMessageDetails } from '../../src/mime/message-details.js';
import { parseMimeTree } from '../../src/mime/mime-tree.js';
import { textOfTree } from '../../src/mime/searchable-text.js';
import { describeStructure } from '../../src/mime/structure-info.js';
import { ParseFailed, ParsePool } from '../../src/shared/parse-pool.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/messages/${name}`, import.meta.url));

const pools: ParsePool[] = [];
const pool = (options?: ConstructorParameters<typeof ParsePool>[0]) => {
  const p = new ParsePool(options);
  pools.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('ParsePool (MIME work in worker threads, SPEC §10 event-loop budget)', () => {
  it('gives the same details as a parse on this thread, attachment bytes included, and starts no worker before the first task', async () => {
    const p = pool();
    expect(p.threads).toBe(0);
    const raw = fixture('mixed-attachments.eml');
    const [inWorker, inline] = await Promise.all([p.run('details', raw, 'Files'), parseMessageDetails(raw, 'Files')]);
    expect(p.threads).toBe(1);
    const { attachmentContent: a, ...fromWorker } = inWorker;
    const { attachmentContent: b, ...fromInline } = inline;
    expect(fromWorker).toEqual(fromInline);
    for (const { index } of inline.attachments) expect(a(index)?.equals(b(index) as Buffer)).toBe(true);
    expect(a(inline.attachments.length)).toBeUndefined();
  });

  it('makes the structure and the lower-cased search text of a message as the inline code does', async () => {
    const p = pool();
    const raw = fixture('alternative.eml');
    const tree = parseMimeTree(raw);
    expect(await p.run('structure', raw)).toEqual(describeStructure(tree));
    expect(await p.run('body-text', raw)).toBe(textOfTree(raw, tree).toLowerCase());
  });

  it('copies only the message: a view into a larger buffer sends just its own bytes', async () => {
    const p = pool();
    const raw = fixture('alternative.eml');
    const big = Buffer.concat([Buffer.alloc(1000, 'x'), raw, Buffer.alloc(1000, 'y')]);
    const view = big.subarray(1000, 1000 + raw.length);
    expect(await p.run('body-text', view)).toBe(await p.run('body-text', raw));
  });

  it('runs no more workers than its size, queueing the rest', async () => {
    const p = pool({ size: 2 });
    const raw = fixture('alternative.eml');
    const results = await Promise.all(Array.from({ length: 6 }, () => p.run('body-text', raw)));
    expect(new Set(results).size).toBe(1);
    expect(p.threads).toBe(2);
  });

  it('abandons a parse past its time limit with ParseFailed, replaces the worker, and parses the next message', async () => {
    // 1 ms is less than a worker needs to start, so the first task is always late.
    const late = pool({ size: 1, timeoutMs: 1 });
    const raw = fixture('alternative.eml');
    await expect(late.run('details', raw)).rejects.toThrow(ParseFailed);
    await expect(late.run('details', raw)).rejects.toThrow(/longer than 1 ms/);
    expect(late.threads).toBe(0); // each late worker was terminated
    const p = pool({ size: 1 });
    expect((await p.run('details', raw)).html).not.toBeNull();
  });

  it('fails queued and later tasks with ParseFailed once closed', async () => {
    const p = pool({ size: 1 });
    const raw = fixture('alternative.eml');
    const outcomes = [expect(p.run('details', raw)).rejects.toThrow(ParseFailed), expect(p.run('details', raw)).rejects.toThrow(/closed/)];
    await p.close();
    await Promise.all(outcomes);
    await expect(p.run('structure', raw)).rejects.toThrow(/closed/);
    expect(p.threads).toBe(0);
  });
});
