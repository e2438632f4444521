import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import type { Sandbox } from '../../src/index.js';

const off = { port: false } as const;
let sandbox: Sandbox | undefined;

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('sandbox.deliver()', () => {
  it('stores a Buffer with bare LF line endings as CRLF, like a string', async () => {
    sandbox = await createSandbox({ logLevel: 'silent', smtp: off, smtps: off, pop3: off, pop3s: off, imap: off, imaps: off, http: off });
    const fromBuffer = await sandbox.deliver(Buffer.from('Subject: lf\n\nline one\n.line two\n'), { to: 'ann@example.test' });
    const fromString = await sandbox.deliver('Subject: lf\n\nline one\n.line two\n', { to: 'ann@example.test' });
    const expected = Buffer.from('Subject: lf\r\n\r\nline one\r\n.line two\r\n');
    expect(sandbox.store.get(fromBuffer.id)!.raw.equals(expected)).toBe(true);
    expect(sandbox.store.get(fromString.id)!.raw.equals(expected)).toBe(true);
  });

  it('keeps CRLF bytes exactly as given', async () => {
    sandbox = await createSandbox({ logLevel: 'silent', smtp: off, smtps: off, pop3: off, pop3s: off, imap: off, imaps: off, http: off });
    const raw = Buffer.from('Subject: crlf\r\n\r\nbody\r\n');
    const s = await sandbox.deliver(raw, { to: 'ann@example.test' });
    // The same bytes (not the same Buffer object: an in-memory message keeps its bytes without one of its own).
    expect(sandbox.store.get(s.id)!.raw.equals(raw)).toBe(true);
  });

  it('refuses to deliver or wait once the sandbox is closed', async () => {
    const closed = await createSandbox({ logLevel: 'silent', smtp: off, smtps: off, pop3: off, pop3s: off, imap: off, imaps: off, http: off });
    await closed.close();
    await expect(closed.deliver('Subject: late\n\nx\n', { to: 'ann@example.test' })).rejects.toThrow('The sandbox is closed');
    await expect(closed.waitForMessage({}, { timeout: 60_000 })).rejects.toThrow('The sandbox is closed');
    expect(closed.store.size).toBe(0);
  });
});
