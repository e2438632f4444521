import { createServer } from 'node:http';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import { BrowserSuite, hasChromium, row, sendMail, storeReaches, suiteName } from './browser.js';
import nodemailer from 'nodemailer';

/** Sends with custom headers and envelope (the shared helper has neither). */
async function sendTagged(port: number, to: string, subject: string, xTags?: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
  await transport.sendMail({ from: 'app@example.test', to, subject, text: 'hello', headers: xTags ? { 'X-Tags': xTags } : {} });
  transport.close();
}

describe.skipIf(!hasChromium)(suiteName('tags, release and webhooks in the UI (Chromium)'), () => {
  const suite = new BrowserSuite();

  it('shows tag chips, edits tags in the message view, and filters the list by tag', async () => {
    const { page, sandbox } = await suite.open();
    await sendTagged(sandbox.ports.smtp!, 'ann+signup@example.test', 'Tagged welcome', 'QA');
    await sendMail(sandbox, { subject: 'Untagged note' });
    const tagged = row(page, 'Tagged welcome');
    await tagged.locator('.tag-chip[data-tag="signup"]').waitFor();
    await expect(tagged.locator('.tag-chip').allTextContents()).resolves.toEqual(['QA', 'signup']);

    await tagged.locator('.row-link').click();
    const editor = page.getByTestId('tag-editor');
    await editor.locator('.tag-chip[data-tag="QA"]').waitFor();
    await page.getByTestId('tag-input').fill('Urgent');
    await page.getByTestId('tag-input').press('Enter');
    const id = sandbox.messages({ subject: 'Tagged welcome' })[0].id;
    await storeReaches(sandbox, () => sandbox.store.get(id)!.tags.includes('Urgent'));
    expect(sandbox.store.get(id)!.tags).toEqual(['QA', 'signup', 'Urgent']);
    await page.getByRole('button', { name: 'Remove tag QA' }).click();
    await storeReaches(sandbox, () => !sandbox.store.get(id)!.tags.includes('QA'));
    // The list row follows over the live feed.
    await tagged.locator('.tag-chip[data-tag="Urgent"]').waitFor();
    await expect(tagged.locator('.tag-chip[data-tag="QA"]').count()).resolves.toBe(0);

    // The tag filter (and a click on a chip) narrows the list; tags compare case-insensitively.
    await page.getByTestId('tag-filter').selectOption('signup');
    await row(page, 'Untagged note').waitFor({ state: 'detached' });
    // The list refetches on a filter change (it is empty in between): wait for the tagged row before counting.
    await tagged.waitFor();
    await expect(page.locator('.message-list .row').count()).resolves.toBe(1);
    await page.getByTestId('tag-filter').selectOption('');
    await row(page, 'Untagged note').waitFor();
    await tagged.locator('.tag-chip[data-tag="Urgent"]').click();
    await row(page, 'Untagged note').waitFor({ state: 'detached' });
    await expect(page.getByTestId('tag-filter').inputValue()).resolves.toBe('Urgent');
    // Tags set through the API appear without a reload.
    const other = sandbox.messages({ subject: 'Untagged note' })[0].id;
    sandbox.setTags(other, ['urgent']);
    await row(page, 'Untagged note').waitFor();
  });

  it('releases a message to the relay from the Release panel, shows the allow-list, the reply and a relayed badge', async () => {
    const target = await createSandbox({ http: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, logLevel: 'silent' });
    try {
      const sandbox = await suite.freshSandbox({ relay: { url: `smtp://127.0.0.1:${target.ports.smtp}?starttls=never`, allow: ['*@example.test'] } });
      const { page } = await suite.open();
      await sendMail(sandbox, { subject: 'Release me', to: 'ann@example.test' });
      await row(page, 'Release me').locator('.row-link').click();
      await page.getByTestId('release').click();
      await page.getByTestId('release-allowed').filter({ hasText: 'allowed recipients: *@example.test' }).waitFor();
      await expect(page.getByTestId('release-to').inputValue()).resolves.toBe('ann@example.test');
      await page.getByTestId('release-check').locator('li[data-allowed="true"]', { hasText: 'ann@example.test' }).waitFor();

      const arrived = target.waitForMessage({ subject: 'Release me' });
      await page.getByTestId('release-send').click();
      const copy = await arrived;
      await page.getByTestId('release-outcome').filter({ hasText: /^Relayed to ann@example\.test: 250 / }).waitFor();
      const original = sandbox.messages({ subject: 'Release me' })[0];
      expect(copy.raw.equals((await sandbox.getMessage(original.id))!.raw)).toBe(true);
      await row(page, 'Release me').locator('[data-testid="relay-badge"][data-ok="true"]').waitFor();
      await page.getByTestId('relays').filter({ hasText: `via smtp://127.0.0.1:${target.ports.smtp}` }).waitFor();

      // A recipient outside the allow-list is refused by name, and nothing reaches the relay.
      const sessions = target.context.sessions.list('smtp').length;
      await page.getByTestId('release-to').fill('boss@real-company.test');
      await page.getByTestId('release-check').locator('li[data-allowed="false"]', { hasText: 'boss@real-company.test' }).waitFor();
      await page.getByTestId('release-send').click();
      await page.getByTestId('release-outcome').filter({ hasText: 'boss@real-company.test is not allowed' }).waitFor();
      await expect(page.getByTestId('release-outcome').getAttribute('role')).resolves.toBe('alert');
      expect(target.context.sessions.list('smtp').length).toBe(sessions);
      // The refused POST is logged by Chromium as a failed resource; it is the expected answer here.
      const expected = suite.ui.pageErrors.filter((e) => /status of 422/.test(String(e)));
      expect(expected).toHaveLength(1);
      suite.ui.pageErrors.splice(suite.ui.pageErrors.indexOf(expected[0]), 1);
    } finally {
      await target.close();
    }
  });

  it('lists webhook deliveries with their status on the Webhooks page', async () => {
    const hook = createServer((_req, res) => res.writeHead(202).end());
    hook.listen(0, '127.0.0.1');
    await once(hook, 'listening');
    const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
    try {
      const sandbox = await suite.freshSandbox({ webhooks: { urls: [url], secret: 's' } });
      const { page } = await suite.open({ hash: '#/webhooks' });
      await page.getByTestId('webhooks-config').filter({ hasText: url }).waitFor();
      const done = new Promise<void>((resolve) => sandbox.webhooks.on('delivery', (d) => d.result === 'success' && resolve()));
      await sendMail(sandbox, { subject: 'Hooked' });
      await done;
      const entry = page.locator('[data-testid="webhooks-table"] tbody tr[data-result="success"]');
      await entry.waitFor();
      await expect(entry.textContent()).resolves.toMatch(/message\.added.*success.*202/);
    } finally {
      hook.close();
    }
  });
});
