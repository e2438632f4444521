import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { SessionLog } from '../../src/store/session-log.js';
import { RawImap } from './imap-raw-client.js';
import { heapAfterGc } from './heap-helpers.js';

let sandbox: Sandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

// Issue 10 finding 6: 4 IMAP sessions × 1000 `SEARCH TEXT <60 KB>` retained +169 MiB while the transcripts showed
// ~8 MiB: the 2,000 characters kept of each line were a slice that kept the whole line alive.
describe('session transcripts', () => {
  it('keep copies of long command lines, not slices holding the whole line (4 sessions × 50 SEARCH TEXT of 60 KB)', async () => {
    sandbox = await createSandbox({ logLevel: 'silent', smtp: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imaps: { port: false }, http: { port: false } });
    await sandbox.deliver('Subject: hi\r\n\r\nhello\r\n', { to: 'bob@example.test' });
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawImap.connect(sandbox!.ports.imap!)));
    for (const c of clients) {
      await c.command('L', 'LOGIN bob@example.test x');
      await c.command('S', 'SELECT INBOX');
    }
    const before = heapAfterGc();
    const rounds = 50;
    await Promise.all(
      clients.map(async (c, n) => {
        for (let i = 0; i < rounds; i++) {
          // Distinct lines, so nothing can be shared between them.
          await c.command(`q${i}`, `SEARCH TEXT "${String(n * rounds + i).padStart(8, '0')}${'a'.repeat(60_000)}"`);
        }
      }),
    );
    const growth = heapAfterGc() - before;
    const kept = [...sandbox.context.sessions.list('imap')].reduce((n, s) => n + s.lines.filter((l) => l.dir === 'C' && l.line.startsWith('q')).length, 0);
    expect(kept).toBe(4 * rounds);
    // 200 lines × 2,000 characters are ~0.8 MB as copies; as slices they hold 200 × 60 KB = 12 MB.
    expect(growth).toBeLessThan(6 * 1024 * 1024);
    for (const c of clients) c.end();
  }, 240_000);
});

describe('multi-line transcript calls', () => {
  it('keep their lines as copies, not slices holding the whole text (a FETCH batch whose tail is past the cap)', () => {
    const log = new SessionLog(100, 10);
    const before = heapAfterGc();
    // 50 sessions, each one call: 10 short lines kept, then 1 MB of lines past the cap.
    const handles = Array.from({ length: 50 }, (_, n) => {
      const h = log.start('imap', { tls: false });
      const kept = Array.from({ length: 10 }, (_, i) => `* ${n * 10 + i} FETCH (FLAGS ())`);
      h.line('S', [...kept, ...Array.from({ length: 10 }, () => `${n}`.padEnd(100_000, 'z'))].join('\r\n'));
      return h;
    });
    const growth = heapAfterGc() - before;
    expect(handles.every((h) => h.record.lineCount === 10 && h.record.droppedLines === 10)).toBe(true);
    // Kept as copies: 500 short lines (~20 KB). As slices: each session's whole 1 MB text, 50 MB in all.
    expect(growth).toBeLessThan(10 * 1024 * 1024);
  });
});

describe('the session log byte budget', () => {
  it('drops the oldest sessions first once the transcripts pass it, and counts their lines no more', () => {
    const log = new SessionLog(100, 1000, 100_000);
    const first = log.start('imap', { tls: false });
    for (let i = 0; i < 15; i++) first.line('C', 'w'.repeat(2000));
    first.end();
    const second = log.start('pop3', { tls: false });
    for (let i = 0; i < 15; i++) second.line('C', 'x'.repeat(2000));
    expect(log.get(first.id)).toBeUndefined();
    expect(log.get(second.id)).toBeDefined();
    const third = log.start('smtp', { tls: false });
    for (let i = 0; i < 15; i++) third.line('C', 'y'.repeat(2000));
    expect(log.get(second.id)).toBeUndefined();
    expect(log.get(third.id)).toBeDefined();
    expect(log.totalBytes).toBeLessThanOrEqual(100_000);
    second.line('C', 'after being dropped');
    expect(second.record.lines.at(-1)?.line).not.toBe('after being dropped');
  });

  it('is 64 MiB by default and reported by /api/v1/info', async () => {
    sandbox = await createSandbox({ logLevel: 'silent' });
    const info = (await (await fetch(`${sandbox.url}/api/v1/info`)).json()) as { limits: Record<string, number> };
    expect(info.limits.sessionLogBytes).toBe(64 * 1024 * 1024);
  });
});
