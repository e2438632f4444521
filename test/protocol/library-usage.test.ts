import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { WaitAbortedError, WaitTimeoutError, createSandbox, type Sandbox } from '../../src/index.js';

const onlySmtp = { smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false }, logLevel: 'silent' } as const;

/** Sends one message the way an app does: nodemailer over SMTP with STARTTLS. */
async function sendMail(sandbox: Sandbox, mail: SendMailOptions): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, tls: { rejectUnauthorized: false } });
  try {
    await transport.sendMail({ from: 'App <no-reply@app.example.test>', ...mail });
  } finally {
    transport.close();
  }
}

describe('the library as a CI suite uses it', () => {
  it('runs twenty sandboxes at once on free ports, each seeing only its own mail', async () => {
    const sandboxes = await Promise.all(Array.from({ length: 20 }, () => createSandbox(onlySmtp)));
    try {
      expect(new Set(sandboxes.map((s) => s.ports.smtp)).size).toBe(20);
      await Promise.all(
        sandboxes.map(async (sandbox, i) => {
          const waiting = sandbox.waitForMessage({ to: `user${i}@example.test` }, { timeout: 10_000 });
          await sendMail(sandbox, { to: `user${i}@example.test`, subject: `Hello ${i}`, text: 'Hi' });
          expect((await waiting).subject).toBe(`Hello ${i}`);
        }),
      );
      for (const [i, sandbox] of sandboxes.entries()) expect(sandbox.messages().map((m) => m.subject)).toEqual([`Hello ${i}`]);
    } finally {
      await Promise.all(sandboxes.map((s) => s.close()));
    }
  });

  it('hands a test the exact reset URL and the code of a password-reset mail', async () => {
    const sandbox = await createSandbox(onlySmtp);
    try {
      const reset = 'https://app.example.test/reset?token=abc123&user=ann%40example.test&lang=en';
      const waiting = sandbox.waitForMessage({ to: 'ann@example.test', subject: /reset/i }, { timeout: 10_000 });
      await sendMail(sandbox, {
        to: 'Ann <ann@example.test>',
        subject: 'Reset your password',
        html: `<p>Click <a href="${reset.replace(/&/g, '&amp;')}">reset your password</a>.</p><p>Your verification code is <b>482913</b>.</p>`,
        text: `Reset your password: ${reset}.\n\nYour verification code is 482913.\n`,
      });
      const msg = await waiting;
      expect(msg.links).toEqual([reset]);
      expect(msg.codes[0]).toBe('482913');
      expect(msg.raw.toString('latin1')).toContain('Subject: Reset your password\r\n');
    } finally {
      await sandbox.close();
    }
  });

  it('exports the errors a wait rejects with, so a test can tell a timeout from a closing sandbox', async () => {
    const sandbox = await createSandbox({ ...onlySmtp, smtp: { port: false } });
    await expect(sandbox.waitForMessage({ subject: 'never' }, { timeout: 20 })).rejects.toBeInstanceOf(WaitTimeoutError);
    const pending = sandbox.waitForMessage({ subject: 'never' }, { timeout: 10_000 });
    await sandbox.close();
    await expect(pending).rejects.toBeInstanceOf(WaitAbortedError);
  });

  it('seeds one message into several mailboxes with a folder and flags, as CRLF', async () => {
    const sandbox = await createSandbox({ ...onlySmtp, smtp: { port: false } });
    try {
      const summary = await sandbox.deliver('From: a@example.test\nSubject: Seeded\n\nBody\n', { to: ['ann@example.test', 'Bob@Example.test'], folder: 'Sent', flags: ['\\Seen'] });
      expect(summary.mailboxes).toEqual(['ann@example.test', 'bob@example.test']);
      expect(summary.seen).toBe(true);
      const msg = await sandbox.getMessage(summary.id);
      expect(msg!.raw.toString()).toBe('From: a@example.test\r\nSubject: Seeded\r\n\r\nBody\r\n');
      expect(sandbox.messages({ mailbox: 'BOB@example.test' }).map((m) => m.id)).toEqual([summary.id]);
      expect(sandbox.store.getMailbox('bob@example.test')!.folders.get('Sent')!.placements.length).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});
