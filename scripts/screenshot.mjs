// Takes the README/docs screenshots of the web UI with a few realistic messages.
//
//   npm run build && node scripts/screenshot.mjs [outDir]      (default: docs/)
//
// Writes screenshot.png (light, a message open), screenshot-dark.png, screenshot-sessions.png (an SMTP transcript,
// with POP3 and IMAP sessions in the list) and screenshot-phone.png. Uses Debian's /usr/bin/chromium through
// playwright-core.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import nodemailer from 'nodemailer';
import Pop3Command from 'node-pop3';
import { ImapFlow } from 'imapflow';
import { createSandbox } from '../dist/index.js';

const outDir = resolve(process.argv[2] ?? 'docs');

const mails = [
  { from: '"Acme Billing" <billing@acme.example>', to: 'ann@example.test', subject: 'Your invoice INV-2031 is ready', text: 'Hi Ann,\n\nYour invoice INV-2031 for 49.00 EUR is attached.\n\nThanks,\nAcme', attachments: [{ filename: 'INV-2031.pdf', content: Buffer.from('%PDF-1.4\n% fake invoice\n'), contentType: 'application/pdf' }] },
  { from: '"GitHub" <noreply@github.example>', to: 'bob@example.test', subject: '[acme/shop] Pull request #412 merged', text: 'Merged #412 into main.' },
  { from: '"Team Calendar" <calendar@example.test>', to: ['ann@example.test', 'bob@example.test'], subject: 'Invitation: Sprint review, Thu 14:00', text: 'You have been invited to Sprint review.' },
  { from: '"Shop" <orders@shop.example>', to: 'carol@example.test', subject: 'Order #10045 has shipped', text: 'Your parcel is on its way. Track it at https://track.example/10045' },
  {
    from: '"Acme Accounts" <security@acme.example>',
    to: 'ann@example.test',
    subject: 'Reset your password',
    text: 'Hi Ann,\n\nUse the code 482913 or the link below to reset your password:\nhttps://app.acme.example/reset?token=f3b9c2\n\nThis link expires in 30 minutes.',
    html: `<div style="font-family:Helvetica,Arial,sans-serif;max-width:520px;margin:24px auto;padding:32px;border:1px solid #e5e7eb;border-radius:12px;color:#111827">
      <h2 style="margin:0 0 12px;color:#2f6fde">Acme</h2>
      <p>Hi Ann,</p>
      <p>We received a request to reset your password. Your verification code is:</p>
      <p style="font-size:28px;letter-spacing:6px;font-weight:700;margin:16px 0">482913</p>
      <p><a href="https://app.acme.example/reset?token=f3b9c2" style="display:inline-block;background:#2f6fde;color:#fff;padding:10px 18px;border-radius:8px;text-decoration:none">Reset password</a></p>
      <p style="color:#6b7280;font-size:13px">This link expires in 30 minutes. If you didn't ask for this, ignore this email.</p>
    </div>`,
  },
];

const sandbox = await createSandbox({ smtp: { port: 0 }, smtps: { port: false }, pop3: { port: 0 }, pop3s: { port: false }, imap: { port: 0 }, imaps: { port: false }, http: { port: 0 }, logLevel: 'silent' });
const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp, secure: false, ignoreTLS: true });
for (const m of mails) await transport.sendMail(m);
transport.close();
// One read message, so the list shows both styles.
const read = sandbox.messages({ subject: 'Pull request' })[0];
sandbox.store.setSeen(read.id, true);
// A POP3 and an IMAP session, so the Sessions list shows all three protocols.
const pop3 = new Pop3Command({ host: '127.0.0.1', port: sandbox.ports.pop3, user: 'ann@example.test', password: 'secret' });
await pop3.UIDL();
await pop3.QUIT();
const imap = new ImapFlow({ host: '127.0.0.1', port: sandbox.ports.imap, secure: false, auth: { user: 'bob@example.test', pass: 'secret' }, logger: false, tls: { rejectUnauthorized: false } });
await imap.connect();
await imap.mailboxOpen('INBOX');
await imap.logout();

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
await mkdir(outDir, { recursive: true });
try {
  const reset = sandbox.messages({ subject: 'Reset your password' })[0];
  for (const scheme of ['light', 'dark']) {
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${sandbox.url}/#/messages/${reset.id}`);
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
    await page.frameLocator('[data-testid="html-frame"]').locator('text=482913').waitFor();
    await page.screenshot({ path: resolve(outDir, scheme === 'light' ? 'screenshot.png' : 'screenshot-dark.png') });
    if (scheme === 'light') {
      await page.goto(`${sandbox.url}/#/sessions`);
      await page.locator('.session-row', { has: page.locator('.proto-smtp') }).first().locator('a').click();
      await page.getByTestId('transcript').waitFor();
      await page.screenshot({ path: resolve(outDir, 'screenshot-sessions.png') });
    }
    await context.close();
  }
  const phone = await browser.newContext({ colorScheme: 'light', viewport: { width: 375, height: 740 }, deviceScaleFactor: 1 });
  const page = await phone.newPage();
  await page.goto(`${sandbox.url}/`);
  await page.locator('.message-list .row').first().waitFor();
  await page.screenshot({ path: resolve(outDir, 'screenshot-phone.png') });
  console.log(`overflow at 375px: ${await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')}px`);
  await phone.close();
} finally {
  await browser.close();
  await sandbox.close();
}
console.log(`screenshots written to ${outDir}`);
