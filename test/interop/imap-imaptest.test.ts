import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { imapSandbox, imapflowClient } from '../protocol/imap-helpers.js';
import { ensureImaptest, imaptestPrefix, isImaptestRequired, problemLines, runImaptest, scriptedSummary } from './imaptest-tool.js';

/**
 * Dovecot's IMAP compliance tester against a sandbox on port 0 (issue 9 §1): its 71 scripted groups must pass
 * (`0 failed`), and ten clients appending, fetching, storing and expunging for 15 s must make it report no
 * `Error:` or `Panic:` line, with the sandbox still healthy afterwards. Run alone:
 * `npx vitest run test/interop/imap-imaptest.test.ts`.
 */
const tool = ensureImaptest();
const skipReason = tool.ok ? '' : ` (skipped: ${tool.reason})`;
if (!tool.ok && !isImaptestRequired) console.warn(`imaptest suites skipped: ${tool.reason}`);

describe.skipIf(!tool.ok && !isImaptestRequired)(`Dovecot imaptest against the sandbox${skipReason}`, () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    if (!tool.ok) throw new Error(`CI is set but ${tool.reason}`);
    sandbox = await imapSandbox({ http: { port: 0 } });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('passes every scripted test group, reporting no error', { timeout: 240_000 }, async () => {
    const run = await runImaptest({ host: '127.0.0.1', port: sandbox.ports.imap!, user: 'imaptest-script@example.test', pass: 'x', test: `${imaptestPrefix}/share/tests` }, 180);
    // On failure, imaptest's stderr holds one block per failed command: what was sent, expected and received.
    const details = `imaptest exit ${run.code}\n${run.stdout.slice(-2000)}\n--- stderr ---\n${run.stderr.slice(0, 20_000)}`;
    const summary = scriptedSummary(run.stdout);
    expect(summary, details).not.toBeNull();
    expect(summary!.groups, details).toBeGreaterThanOrEqual(71);
    expect(summary!.failedGroups, details).toBe(0);
    expect(summary!.base[0], details).toBe(0);
    expect(summary!.extensions[0], details).toBe(0);
    expect(problemLines(run), details).toEqual([]);
    expect(run.code, details).toBe(0);
  });

  it('survives ten clients of stress traffic for 15 s without an error, and serves IMAP and HTTP afterwards', { timeout: 180_000 }, async () => {
    const user = 'imaptest-stress@example.test';
    const run = await runImaptest({ host: '127.0.0.1', port: sandbox.ports.imap!, user, pass: 'x', mbox: `${imaptestPrefix}/share/stress.mbox`, clients: 10, secs: 15 }, 120);
    const details = `imaptest exit ${run.code}\n${run.stdout.slice(-3000)}\n--- stderr ---\n${run.stderr.slice(0, 20_000)}`;
    expect(problemLines(run), details).toEqual([]);
    expect(run.code, details).toBe(0);
    // Traffic really flowed: the totals table counts logins.
    expect(run.stdout, details).toMatch(/Totals:/);

    const flow = await imapflowClient(sandbox, user);
    try {
      const box = await flow.mailboxOpen('INBOX');
      expect(box.exists).toBe(sandbox.store.getFolder(user, 'INBOX')!.placements.length);
    } finally {
      await flow.logout();
    }
    const health = await fetch(`http://127.0.0.1:${sandbox.ports.http}/healthz`);
    expect(health.status).toBe(200);
  });
});
