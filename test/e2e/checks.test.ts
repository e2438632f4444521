import { describe, expect, it } from 'vitest';
import { BrowserSuite, hasChromium, suiteName, row, sendMail } from './browser.js';

describe.skipIf(!hasChromium)(suiteName('the Checks tab and summary chips in Chromium'), () => {
  const suite = new BrowserSuite();

  it('shows HTML, accessibility and DKIM chips, the compatibility table, findings with their element, and not-configured states', async () => {
    const { page } = await suite.open();
    await sendMail(suite.sandbox, {
      subject: 'Spring newsletter',
      text: 'Spring is here',
      html: '<html><body><div style="display:flex;color:#cccccc"><img src="https://shop.example/a.webp"><a href="https://shop.example/r">click here</a></div></body></html>',
    });
    await row(page, 'Spring newsletter').locator('.row-link').click();
    const chips = page.getByTestId('check-chips');
    await chips.waitFor();
    await expect(chips.locator('[data-chip="html"]').textContent()).resolves.toMatch(/^HTML \d+ %$/);
    await expect(chips.locator('[data-chip="dkim"]').textContent()).resolves.toBe('DKIM none');
    await expect(chips.locator('[data-chip="spam"]').textContent()).resolves.toBe('Spam: not configured');
    await page.locator('[data-tab="checks"]').click();
    const tab = page.getByTestId('checks-tab');
    await tab.waitFor();
    await expect(tab.getByTestId('compat-table').textContent()).resolves.toContain('display:flex');
    await expect(tab.getByTestId('compat-table').textContent()).resolves.toContain('Outlook (Windows)');
    const findings = tab.getByTestId('a11y-findings');
    await expect(findings.locator('[data-rule="img-alt"]').textContent()).resolves.toContain('html > body > div > img');
    await expect(findings.locator('[data-rule="link-text"]').count()).resolves.toBe(1);
    const notConfigured = await tab.getByTestId('not-configured').allTextContents();
    expect(notConfigured).toEqual(['Not configured: start the sandbox with --spamd host:port.', 'Not configured: start the sandbox with --link-check.']);
  });
});
