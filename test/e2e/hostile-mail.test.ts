import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BrowserSuite, hasChromium, row, sendMail, suiteName } from './browser.js';

/** Hostile mail against the web UI in real Chromium: nothing may run, load, open or freeze (SPEC §8 "HTTP safety"). */

const eml = (subject: string, html: string) =>
  `From: attacker@example.test\r\nTo: ann@example.test\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`;

describe.skipIf(!hasChromium)(suiteName('hostile mail in the web UI'), () => {
  const suite = new BrowserSuite();
  const open = (hash?: string) => suite.open({ hash });

  it('opens a message whose HTML is built to make a regular expression backtrack, without freezing the page', async () => {
    const { page } = await open();
    // `url(` and `src=` followed by long runs of spaces made the remote-image check quadratic: minutes of main thread.
    const html = `<p id="marker">still responsive</p><div style="${'url(' + ' '.repeat(300_000)}"></div><img alt="x" src=${' '.repeat(300_000)}>`;
    await suite.sandbox.deliver(eml('Backtracking bait', html), { to: 'ann@example.test' });
    await row(page, 'Backtracking bait').locator('.row-link').click();
    await expect(page.frameLocator('[data-testid="html-frame"]').locator('#marker').textContent()).resolves.toBe('still responsive');
    await expect(page.getByTestId('remote-blocked').count()).resolves.toBe(0);
  });

  it('gives the HTML frame no sandbox permissions: links, refreshes and forms of the mail open and load nothing', async () => {
    const { page, context } = await open();
    const hits: string[] = [];
    const beacon = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<script>fetch("/script-ran")</script>');
    });
    beacon.listen(0, '127.0.0.1');
    await once(beacon, 'listening');
    const b = `http://127.0.0.1:${(beacon.address() as AddressInfo).port}`;
    const popups: string[] = [];
    context.on('page', (p) => popups.push(p.url()));
    try {
      await sendMail(suite.sandbox, {
        subject: 'Links everywhere',
        html: `<meta http-equiv="refresh" content="0;url=${b}/refresh"><p id="marker">Links</p>
          <a id="blank" href="${b}/blank" target="_blank">new tab</a>
          <a id="js" href="javascript:fetch('${b}/js')" target="_blank">js</a>
          <a id="data" href="data:text/html,<script>fetch('${b}/data')</script>" target="_blank">data</a>
          <a id="ping" href="#x" ping="${b}/ping">ping</a>
          <a id="top" href="${b}/top" target="_top">top</a>
          <form action="${b}/form" method="post"><button id="submit">go</button></form>
          <svg onload="fetch('${b}/svg')"><script>fetch('${b}/svg-script')</script></svg>
          <iframe srcdoc="<script>fetch('${b}/srcdoc')</script>"></iframe>
          <style>@import url(${b}/import); p { background: url(${b}/css) }</style>`,
        attachments: [{ filename: 'page.html', content: `<script>fetch('${b}/attachment')</script>`, contentType: 'text/html' }],
      });
      await row(page, 'Links everywhere').locator('.row-link').click();
      const frameEl = page.getByTestId('html-frame');
      await expect(frameEl.getAttribute('sandbox')).resolves.toBe('');
      const frame = (await (await frameEl.elementHandle())!.contentFrame())!;
      await frame.waitForLoadState('load');
      const htmlUrl = frame.url();
      for (const id of ['blank', 'js', 'data', 'ping', 'top', 'submit']) await frame.locator(`#${id}`).click();
      // A same-origin link to the text/html attachment, the one target that could run script as the UI's origin.
      const id = suite.sandbox.messages()[0].id;
      await frame.evaluate(`document.getElementById('blank').href = '/api/v1/messages/${id}/attachments/0'`).catch(() => undefined);
      await frame.locator('#blank').click();
      // Round-trip through the UI's own origin, so every click above has been handled by the browser.
      await page.evaluate('fetch("/api/v1/info").then((r) => r.status)');
      expect(popups).toEqual([]);
      // Still the message's HTML (the `ping` link only adds a fragment): no refresh or link navigated the frame away.
      expect(frame.url().split('#')[0]).toBe(htmlUrl);
      await expect(frame.locator('#marker').textContent()).resolves.toBe('Links');
      await expect(page.getByTestId('view-subject').textContent()).resolves.toBe('Links everywhere');
      expect(hits).toEqual([]);
      // Chromium reports each block on the console (frames it doesn't attribute to /html included): expected here.
      expect(suite.ui.pageErrors.filter((e) => !/sandboxed|allow-popups|allow-top-navigation/.test(String(e)))).toEqual([]);
      suite.ui.pageErrors.length = 0;
    } finally {
      beacon.close();
    }
  });

  it('shows and downloads an attachment named with a right-to-left override under its real name', async () => {
    const { page } = await open();
    await sendMail(suite.sandbox, { subject: 'Your invoice', text: 'attached', attachments: [{ filename: 'invoice\u202efdp.exe', content: 'MZ', contentType: 'application/octet-stream' }] });
    await row(page, 'Your invoice').locator('.row-link').click();
    await page.locator('[data-tab="attachments"]').click();
    const link = page.getByTestId('attachments').locator('a');
    await expect(link.textContent()).resolves.toBe('invoicefdp.exe');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(download.suggestedFilename()).toMatch(/\.exe$/);
  });

  it('downloads HTML and SVG attachments and the raw message when opened directly, never renders them as the UI origin', async () => {
    const { page, context } = await open();
    await sendMail(suite.sandbox, {
      subject: 'Scripted attachments',
      text: 'see attached',
      attachments: [
        { filename: 'page.html', content: '<script>document.title = "ran"</script>', contentType: 'text/html' },
        { filename: 'image.svg', content: '<svg xmlns="http://www.w3.org/2000/svg" onload="document.title = \'ran\'"/>', contentType: 'image/svg+xml' },
      ],
    });
    await row(page, 'Scripted attachments').waitFor();
    const id = suite.sandbox.messages()[0].id;
    for (const path of [`/api/v1/messages/${id}/attachments/0`, `/api/v1/messages/${id}/attachments/1`, `/api/v1/messages/${id}/raw`]) {
      const tab = await context.newPage();
      const [download, navigation] = await Promise.all([tab.waitForEvent('download'), tab.goto(suite.sandbox.url + path).catch((e: Error) => e)]);
      expect(String(navigation)).toMatch(/Download is starting/);
      expect(download.url()).toBe(suite.sandbox.url + path);
      await tab.close();
    }
  });

  it('survives a link to the UI whose hash has a malformed %-escape', async () => {
    const { page } = await open('#/messages/%E0%A4%A');
    await expect(page.getByTestId('message-view').textContent()).resolves.toContain('no longer exists');
    // The UI asked for that id and got its 404s (message, structure); nothing else went wrong.
    expect(suite.ui.pageErrors.filter((e) => !/status of 404/.test(String(e)))).toEqual([]);
    suite.ui.pageErrors.length = 0;
  });
});
