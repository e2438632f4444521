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

  it('highlights a finding\'s element in the HTML preview and scrolls to it', async () => {
    const { page } = await suite.open();
    // The image without alt sits far below the fold, so the preview must scroll to show it.
    const spacer = '<p style="height:2400px">Scroll down</p>';
    await sendMail(suite.sandbox, {
      subject: 'Long newsletter',
      text: 'Long',
      html: `<html lang="en"><body><h1 id="top">News</h1>${spacer}<p><img id="logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="40" height="40"> <a href="https://shop.example/x">Shop the sale</a></p></body></html>`,
    });
    await row(page, 'Long newsletter').locator('.row-link').click();
    await page.locator('[data-tab="checks"]').click();
    const finding = page.getByTestId('a11y-findings').locator('[data-rule="img-alt"]');
    await finding.getByTestId('show-element').click();

    // The HTML tab opens with the element named, outlined and scrolled into the frame's view.
    await expect(page.locator('[data-tab="html"]').getAttribute('aria-selected')).resolves.toBe('true');
    await expect(page.getByTestId('highlight-note').textContent()).resolves.toContain('html > body > p:nth-of-type(2) > img');
    const frame = page.frameLocator('[data-testid="html-frame"]');
    const marked = frame.locator('[data-mailsandbox-highlight]');
    await marked.waitFor();
    // Page-side code typed loosely: the test project's types are Node's, not the DOM's.
    type El = { tagName: string; getBoundingClientRect(): { top: number; bottom: number } };
    type Win = { getComputedStyle(el: El): { outlineStyle: string; outlineWidth: string }; innerHeight: number };
    await expect(marked.evaluate((el: El) => el.tagName)).resolves.toBe('IMG');
    await expect(frame.locator('[data-mailsandbox-highlight]').count()).resolves.toBe(1);
    const outline = (el: El) => {
      const style = (globalThis as unknown as Win).getComputedStyle(el);
      return `${style.outlineStyle} ${style.outlineWidth}`;
    };
    await expect(marked.evaluate(outline)).resolves.toBe('solid 3px');
    const inView = (el: El) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= (globalThis as unknown as Win).innerHeight;
    };
    await expect(marked.evaluate(inView)).resolves.toBe(true);
    // Still no script in the frame: the sandbox attribute is unchanged.
    await expect(page.getByTestId('html-frame').getAttribute('sandbox')).resolves.toBe('');

    await page.getByTestId('clear-highlight').click();
    await page.getByTestId('highlight-note').waitFor({ state: 'detached' });
    await frame.locator('#top').waitFor();
    await expect(frame.locator('[data-mailsandbox-highlight]').count()).resolves.toBe(0);
  });
});
