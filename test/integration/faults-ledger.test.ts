import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';

/**
 * The ledger: under load with about 30 % of transactions failing at different stages (a 451 at RCPT, a refusal
 * after the final dot, a drop mid-DATA, a reply cut in half), every message that got its `250` is stored exactly
 * once and byte for byte, and no message that was refused or cut off is stored at all.
 */
describe('fault injection ledger under load', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ smtp: { port: 0 }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false }, logLevel: 'silent' });
    const rules = [
      { on: 'rcpt', action: 'reply', reply: '451 4.7.1 Try again later', probability: 0.08, seed: 1 },
      { on: 'message', action: 'reply', reply: '451 4.3.0 Refused after the dot', probability: 0.08, seed: 2 },
      { on: 'data', action: 'disconnect', partial: true, probability: 0.08, seed: 3 },
      { on: 'message', action: 'disconnect', partial: true, probability: 0.08, seed: 4 },
    ] as const;
    for (const r of rules) await sandbox.faults.add({ protocol: 'smtp', ...r });
  });
  afterAll(() => sandbox.close());

  it('stores every acknowledged message exactly once and nothing that was refused (8 connections, 30 % faults)', { timeout: 120_000 }, async () => {
    const total = 160;
    const accepted = new Map<string, string>();
    const refused = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const n = next++;
        const subject = `ledger ${n}`;
        const text = `message number ${n}\n${'x'.repeat(900)}`;
        const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp as number, ignoreTLS: true, socketTimeout: 10_000 });
        try {
          await transport.sendMail({ from: `sender${n % 5}@example.test`, to: `rcpt${n % 7}@example.test`, subject, text, messageId: `<ledger-${n}@example.test>` });
          accepted.set(subject, text);
        } catch {
          refused.add(subject);
        } finally {
          transport.close();
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(accepted.size + refused.size).toBe(total);
    // About 30 % failed (the seeds make it the same every run).
    expect(refused.size).toBeGreaterThan(total * 0.15);
    expect(refused.size).toBeLessThan(total * 0.45);
    const stored = sandbox.messages({}, { limit: 1000 });
    const storedSubjects = stored.map((m) => m.subject);
    expect(new Set(storedSubjects).size).toBe(storedSubjects.length);
    expect(new Set(storedSubjects)).toEqual(new Set(accepted.keys()));
    for (const m of stored) {
      const full = await sandbox.getMessage(m.id);
      expect(full?.text?.trim()).toBe(accepted.get(m.subject));
    }
    const hits = (await sandbox.faults.list()).reduce((sum, r) => sum + r.hits, 0);
    expect(hits).toBe(refused.size);
  });
});
