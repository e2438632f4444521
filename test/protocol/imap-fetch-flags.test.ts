import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { imapSandbox } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * FETCH of flags as a sync client does it (`1:*`, text only), over a real connection. The view hands out its kept
 * per-message entries (`1:*` is that very array) and the lines are written straight into batch Buffers: these
 * tests catch an answer that goes stale after new mail or an expunge, and a batch boundary that loses or splits a line.
 */
const user = 'bob@example.test';
let sandbox: Sandbox;
const clients: RawImap[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.end();
  await sandbox?.close();
});

function deliver(n: number, flags: string[] = []): void {
  for (let i = 0; i < n; i++) {
    sandbox.store.deliver({
      raw: Buffer.from(`From: ann@example.test\r\nTo: ${user}\r\nSubject: m${i}\r\n\r\nbody ${i}\r\n`),
      envelope: { mailFrom: '', rcptTo: [user] },
      source: 'api',
      targets: [{ mailbox: user, flags }],
    });
  }
}

async function selected(): Promise<RawImap> {
  const c = await RawImap.connect(sandbox.ports.imap!);
  clients.push(c);
  expect(await c.command('l', `LOGIN ${user} x`)).toMatch(/^l OK/m);
  expect(await c.command('s', 'SELECT INBOX')).toMatch(/^s OK/m);
  return c;
}

/** `[seq, uid, flags]` of each FETCH line, in the order sent. */
function fetched(reply: string): Array<[number, number, string]> {
  return [...reply.matchAll(/^\* (\d+) FETCH \(UID (\d+) FLAGS \(([^)]*)\)[^\r\n]*\r\n/gm)].map((m) => [Number(m[1]), Number(m[2]), m[3]]);
}

describe('FETCH 1:* (UID FLAGS)', () => {
  it('numbers messages right after new mail is revealed and after an EXPUNGE (kept entries renewed)', async () => {
    sandbox = await imapSandbox();
    deliver(3);
    const c = await selected();
    expect(fetched(await c.command('a', 'FETCH 1:* (UID FLAGS)')).map(([s, u]) => [s, u])).toEqual([[1, 1], [2, 2], [3, 3]]);
    deliver(1);
    expect(await c.command('n', 'NOOP')).toMatch(/^\* 4 EXISTS/m);
    expect(fetched(await c.command('b', 'FETCH 1:* (UID FLAGS)')).map(([s, u]) => [s, u])).toEqual([[1, 1], [2, 2], [3, 3], [4, 4]]);
    expect(fetched(await c.command('c', 'UID FETCH 2:* (FLAGS)')).map(([s, u]) => [s, u])).toEqual([[2, 2], [3, 3], [4, 4]]);
    expect(await c.command('d', 'STORE 1 +FLAGS.SILENT (\\Deleted)')).toMatch(/^d OK/m);
    expect(await c.command('e', 'EXPUNGE')).toMatch(/^\* 1 EXPUNGE/m);
    const after = fetched(await c.command('f', 'UID FETCH 1:* (FLAGS)'));
    expect(after.map(([s, u]) => [s, u])).toEqual([[1, 2], [2, 3], [3, 4]]);
    // Sequence sets other than all of the folder are still picked one by one.
    expect(fetched(await c.command('g', 'FETCH 3,1 (UID FLAGS)')).map(([s, u]) => [s, u])).toEqual([[1, 2], [3, 4]]);
  });

  it('sends every line whole and in order across many batches, flags and MODSEQ as stored', async () => {
    sandbox = await imapSandbox();
    const n = 3000;
    deliver(n, ['\\Seen', '$Work']);
    const c = await selected();
    const reply = await c.command('a', 'UID FETCH 1:* (FLAGS MODSEQ)', 20_000);
    const lines = fetched(reply);
    expect(lines).toHaveLength(n);
    lines.forEach(([seq, uid, flags], i) => {
      expect([seq, uid]).toEqual([i + 1, i + 1]);
      expect(flags.split(' ').sort()).toEqual(['$Work', '\\Recent', '\\Seen']);
    });
    // Every line, nothing between them: the byte count of the answer is the sum of its lines.
    const body = reply.slice(0, reply.lastIndexOf('a OK'));
    // (The first MODSEQ turns CONDSTORE on: one OK [HIGHESTMODSEQ] comes first, as RFC 7162 §3.1.2 says.)
    expect(body.split('\r\n').filter((l) => l !== '' && !l.includes(' FETCH ('))).toEqual([expect.stringMatching(/^\* OK \[HIGHESTMODSEQ \d+\]/)]);
    expect(reply).toMatch(/^\* 3000 FETCH \(UID 3000 FLAGS \([^)]*\) MODSEQ \(\d+\)\)\r\n/m);
  });

  it('shows the FETCH lines in the session transcript while it has room', async () => {
    sandbox = await imapSandbox();
    deliver(2, ['\\Flagged']);
    const c = await selected();
    await c.command('a', 'FETCH 1:* (UID FLAGS)');
    const lines = sandbox.context.sessions.list('imap')[0].lines.map((l) => `${l.dir} ${l.line}`);
    expect(lines).toContain('S * 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))');
    expect(lines).toContain('S * 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))');
  });
});
