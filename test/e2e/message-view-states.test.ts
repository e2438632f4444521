import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { BrowserSuite, hasChromium, row, sendMail, suiteName } from './browser.js';

const onePixelPng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe.skipIf(!hasChromium)(suiteName('message view states a newcomer meets, in Chromium'), () => {
  const suite = new BrowserSuite();

  it('shows a calm "deleted" notice, not an error, when the open message is deleted elsewhere', async () => {
    const { page, sandbox } = await suite.open();
    await sendMail(sandbox, { subject: 'Soon gone', text: 'bye' });
    await row(page, 'Soon gone').locator('.row-link').click();
    await expect(page.getByTestId('view-subject').textContent()).resolves.toBe('Soon gone');
    // Deleted by someone else (a script over the API here; an IMAP EXPUNGE or POP3 DELE reaches the UI the same way).
    const id = sandbox.messages({ subject: 'Soon gone' })[0].id;
    expect((await fetch(`${sandbox.url}/api/v1/messages/${id}`, { method: 'DELETE' })).status).toBe(204);
    const notice = page.getByTestId('message-deleted');
    await notice.waitFor();
    await expect(notice.getAttribute('role')).resolves.toBe('status');
    await expect(notice.textContent()).resolves.toContain('This message was deleted.');
    await expect(page.locator('.message-view .view-error').count()).resolves.toBe(0);
    await expect(page.locator('.message-view [role="alert"]').count()).resolves.toBe(0);
    await row(page, 'Soon gone').waitFor({ state: 'detached' });
  });

  it('labels an unnamed inline image by its API index and downloads it with an extension', async () => {
    const { page, sandbox } = await suite.open();
    // An inline image with no file name at all, as many mailers send them (nodemailer does with filename: false).
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, ignoreTLS: true });
    await transport.sendMail({
      from: 'app@example.test',
      to: 'ann@example.test',
      subject: 'Inline logo',
      html: '<p>Logo: <img src="cid:logo@x" alt="logo"></p>',
      attachments: [{ filename: false, content: onePixelPng, contentType: 'image/png', cid: 'logo@x' }],
    });
    transport.close();
    await row(page, 'Inline logo').locator('.row-link').click();
    await page.locator('[data-tab="attachments"]').click();
    const id = sandbox.messages({ subject: 'Inline logo' })[0].id;
    const details = await (await fetch(`${sandbox.url}/api/v1/messages/${id}`)).json();
    expect(details.attachments).toHaveLength(1);
    expect(details.attachments[0]).toMatchObject({ index: 0, filename: null, contentType: 'image/png' });
    const link = page.getByTestId('attachments').locator('a[data-index="0"]');
    await expect(link.textContent()).resolves.toBe('attachment-0');
    await expect(page.getByTestId('attachments').textContent()).resolves.toContain('inline (cid:logo@x)');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`${id}-0.png`);
    expect(Buffer.compare(await readFile((await download.path())!), onePixelPng)).toBe(0);
  });

  it('shows the envelope sender for a message without a From: header, in the list and the view', async () => {
    const { page, sandbox } = await suite.open();
    await sandbox.deliver('To: ann@example.test\r\nSubject: No from header\r\n\r\nbody\r\n', { to: 'ann@example.test', from: 'bounces@example.test' });
    await sandbox.deliver('To: ann@example.test\r\nSubject: Null sender\r\n\r\nbody\r\n', { to: 'ann@example.test' });
    await expect(row(page, 'No from header').locator('.row-from').textContent()).resolves.toBe('bounces@example.test');
    await expect(row(page, 'Null sender').locator('.row-from').textContent()).resolves.toBe('(no sender)');
    await row(page, 'No from header').locator('.row-link').click();
    await expect(page.getByTestId('view-from').textContent()).resolves.toBe('bounces@example.test (envelope sender; no From: header)');
  });
});
