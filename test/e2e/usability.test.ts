import { describe, expect, it } from 'vitest';
import { BrowserSuite, hasChromium, suiteName, row, sendMail } from './browser.js';

describe.skipIf(!hasChromium)(suiteName('the web UI stays usable with crowded and empty data'), () => {
  const suite = new BrowserSuite();
  const open = (hash?: string) => suite.open({ hash });

  it('shows the first three of forty recipients and the rest behind an "and N more" toggle, keeping the tabs in view', async () => {
    const { page } = await open();
    const to = Array.from({ length: 40 }, (_, i) => `"Recipient ${i}" <recipient.${i}@department.example.test>`);
    await sendMail(suite.sandbox, { subject: 'All hands', to, text: 'Meeting at noon.' });
    await row(page, 'All hands').locator('.row-link').click();
    const list = page.getByTestId('to');
    await list.waitFor();
    await expect(list.locator('.address').count()).resolves.toBe(3);
    const more = page.getByTestId('to-more');
    await expect(more.textContent()).resolves.toBe('and 37 more');
    await expect(more.getAttribute('aria-expanded')).resolves.toBe('false');
    // The tabs sit within the first screen instead of below forty wrapped addresses.
    const tabs = await page.locator('.tabs').boundingBox();
    expect(tabs!.y + tabs!.height).toBeLessThan(800);
    await more.click();
    await list.locator('.address').nth(39).waitFor();
    await expect(list.locator('.address').count()).resolves.toBe(40);
    await expect(list.textContent()).resolves.toContain('Recipient 39 <recipient.39@department.example.test>');
    await expect(more.getAttribute('aria-expanded')).resolves.toBe('true');
    await more.click();
    await list.locator('.address').nth(3).waitFor({ state: 'detached' });
    await expect(list.locator('.address').count()).resolves.toBe(3);
  });

  it('says nothing matches a search, not that there is no mail, and clears the search from the empty list', async () => {
    const { page } = await open();
    await sendMail(suite.sandbox, { subject: 'Welcome aboard', text: 'Your account is ready.' });
    await row(page, 'Welcome aboard').waitFor();
    await page.getByTestId('search').fill('nonexistent-word');
    const empty = page.getByTestId('list-empty');
    await empty.waitFor();
    await expect(empty.textContent()).resolves.toContain('No messages match.');
    await page.getByTestId('clear-filter').click();
    await row(page, 'Welcome aboard').waitFor();
    await expect(page.getByTestId('search').inputValue()).resolves.toBe('');
  });

  it('points an empty sandbox at the Connect panel', async () => {
    const { page } = await open();
    const empty = page.getByTestId('list-empty');
    await empty.waitFor();
    await expect(empty.textContent()).resolves.toContain('No messages yet.');
    await empty.getByRole('link', { name: 'Connect' }).click();
    await page.getByTestId('connect-panel').waitFor();
    expect(page.url()).toMatch(/#\/connect$/);
  });
});
