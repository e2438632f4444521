import { describe, expect, it } from 'vitest';
import { InvalidFlagError, normalizeFlag, normalizeFlags } from '../../src/store/flags.js';
import { MessageStore } from '../../src/store/message-store.js';
import { createSandbox } from '../../src/index.js';

describe('seeding flags', () => {
  it.each([
    ['\\Seen', '\\Seen'],
    ['\\seen', '\\Seen'],
    ['seen', '\\Seen'],
    ['FLAGGED', '\\Flagged'],
    ['$Label1', '$Label1'],
    ['Junk', 'Junk'],
  ])('reads %j as %j', (given, expected) => {
    expect(normalizeFlag(given)).toBe(expected);
  });

  it.each(['\\Recent', '\\Important', 'My Label', '', '(x)', 'a"b', 'x'.repeat(65)])('refuses %j', (flag) => {
    expect(() => normalizeFlag(flag)).toThrow(InvalidFlagError);
  });

  it('drops duplicates after normalising', () => {
    expect(normalizeFlags(['seen', '\\Seen', '$A', '$A'])).toEqual(['\\Seen', '$A']);
  });

  it('normalises flags given to sandbox.deliver() and refuses invalid ones before storing anything', async () => {
    const sandbox = await createSandbox({ logLevel: 'silent', smtp: { port: false }, submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false } });
    try {
      const summary = await sandbox.deliver('Subject: x\n\nbody\n', { to: 'ann@example.test', flags: ['\\seen', '$Label1'] });
      expect(summary.seen).toBe(true);
      const [placement] = sandbox.store.placementsOf(sandbox.store.get(summary.id)!);
      expect([...placement.flags].sort()).toEqual(['$Label1', '\\Seen']);
      await expect(sandbox.deliver('Subject: y\n\nbody\n', { to: 'ann@example.test', flags: ['\\Recent'] })).rejects.toThrow(InvalidFlagError);
      expect(sandbox.store.size).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});

describe('UIDVALIDITY', () => {
  it('starts at a random value, so two stores (a restart) do not reuse one', () => {
    const a = new MessageStore({ maxMessages: 0 }).ensureMailbox('ann@example.test').folders.get('INBOX')!.uidValidity;
    const b = new MessageStore({ maxMessages: 0 }).ensureMailbox('ann@example.test').folders.get('INBOX')!.uidValidity;
    expect(a).not.toBe(b);
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThan(2 ** 32);
  });
});
