import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { BrowserSuite, hasChromium, suiteName, row, sendMail, storeReaches } from './browser.js';

const eml = (subject: string, body = 'Hello.', from = 'shop@example.test') =>
  `From: ${from}\r\nTo: ann@example.test\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 08:00:00 +0000\r\nMessage-ID: <${Math.random()}@example.test>\r\n\r\n${body}\r\n`;

const onePixelPng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe.skipIf(!hasChromium)(suiteName('the message list and message view in Chromium'), () => {
  const suite = new BrowserSuite();
  const open = () => suite.open();

  it('shows a message sent over SMTP in the list without a reload', async () => {
    const { page } = await open();
    // Page-side code is passed as strings: the test project's types are Node's, not the DOM's.
    await page.evaluate('window.notReloaded = true');
    await page.getByTestId('list-empty').waitFor();
    await sendMail(suite.sandbox, { subject: 'Welcome aboard', text: 'Your account is ready.' });
    const r = row(page, 'Welcome aboard');
    await r.waitFor();
    await expect(r.getAttribute('class')).resolves.toContain('unread');
    await expect(r.locator('.row-from').textContent()).resolves.toBe('app@example.test');
    await expect(page.evaluate<boolean>('window.notReloaded === true')).resolves.toBe(true);
  });

  it('opens a message and shows its subject, text and HTML, and opening marks it read', async () => {
    const { page } = await open();
    await sendMail(suite.sandbox, {
      subject: 'Your receipt',
      text: 'Plain receipt: 42 EUR',
      html: '<h1 id="hello">HTML receipt</h1><p>Total <b>42 EUR</b></p>',
      attachments: [{ filename: 'receipt.pdf', content: Buffer.from('%PDF-1.4 fake'), contentType: 'application/pdf' }],
    });
    await row(page, 'Your receipt').locator('.row-attach').waitFor();
    await row(page, 'Your receipt').locator('.row-link').click();
    await expect(page.getByTestId('view-subject').textContent()).resolves.toBe('Your receipt');
    const frame = page.frameLocator('[data-testid="html-frame"]');
    await expect(frame.locator('#hello').textContent()).resolves.toBe('HTML receipt');
    const sandboxAttr = await page.getByTestId('html-frame').getAttribute('sandbox');
    expect(sandboxAttr).not.toBeNull();
    expect(sandboxAttr).not.toMatch(/allow-scripts|allow-same-origin/);
    await page.locator('[data-tab="text"]').click();
    await expect(page.getByTestId('text-body').textContent()).resolves.toContain('Plain receipt: 42 EUR');
    await page.locator('[data-tab="attachments"]').click();
    await expect(page.getByTestId('attachments').textContent()).resolves.toContain('receipt.pdf');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-eml').click()]);
    expect(download.suggestedFilename()).toMatch(/\.eml$/);
    const stored = await suite.sandbox.getMessage(suite.sandbox.messages()[0].id);
    expect(Buffer.compare(await readFile((await download.path())!), stored!.raw)).toBe(0);
    await page.locator('[data-tab="structure"]').click();
    await expect(page.getByTestId('mime-tree').textContent()).resolves.toMatch(/multipart\/mixed[\s\S]*application\/pdf/);
    await page.locator('[data-tab="source"]').click();
    await expect(page.getByTestId('source').textContent()).resolves.toContain('Subject: Your receipt');
    // Opening sent PATCH {seen: true}; the store and the row agree.
    await page.locator('.row.read', { hasText: 'Your receipt' }).waitFor();
    await storeReaches(suite.sandbox, () => suite.sandbox.messages()[0].seen);
    expect(suite.sandbox.messages()[0].seen).toBe(true);
  });

  it('runs nothing from a hostile message and shows its subject as literal text', async () => {
    const { page } = await open();
    const hits: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('pwned')) hits.push(req.url());
    });
    const subject = `<img src=x onerror="document.title='pwned';fetch('/pwned-subject')"><script>fetch('/pwned-script')</script>`;
    await sendMail(suite.sandbox, {
      subject,
      text: 'see HTML',
      html: `<p id="marker">Hostile body</p>
        <script>document.body.insertAdjacentHTML('beforeend', '<p id="ran">SCRIPT RAN</p>'); fetch('/pwned-html'); parent.document.title = 'pwned';</script>
        <img src="x" onerror="document.body.insertAdjacentHTML('beforeend', '<p id=ran2>ONERROR RAN</p>'); new Image().src='/pwned-img'">
        <a href="javascript:fetch('/pwned-link')" id="jslink">click</a>`,
    });
    const r = row(page, 'document.title');
    await r.waitFor();
    await expect(r.locator('.row-subject').textContent()).resolves.toBe(subject);
    await r.locator('.row-link').click();
    await expect(page.getByTestId('view-subject').textContent()).resolves.toBe(subject);
    const frameEl = await page.getByTestId('html-frame').elementHandle();
    const frame = await frameEl!.contentFrame();
    await frame!.waitForLoadState('load');
    await expect(frame!.locator('#marker').textContent()).resolves.toBe('Hostile body');
    // By the frame's load event the inline script and the broken image's onerror would have run.
    await expect(frame!.locator('#ran, #ran2').count()).resolves.toBe(0);
    await frame!.locator('#jslink').click();
    await expect(page.title()).resolves.toBe('mailsandbox');
    expect(hits).toEqual([]);
    // Positive evidence that the payload was there and stopped, not merely absent.
    expect(suite.ui.frameConsole.join('\n')).toMatch(/Blocked script execution/);
  });

  it('shows cid: inline images, and loads remote images only after the user asks', async () => {
    const { page } = await open();
    // A loopback "remote" image host that counts how often it is asked.
    const fetched: string[] = [];
    const imageHost = createServer((req, res) => {
      fetched.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'image/png' }).end(onePixelPng);
    });
    imageHost.listen(0, '127.0.0.1');
    await once(imageHost, 'listening');
    const remote = `http://127.0.0.1:${(imageHost.address() as AddressInfo).port}/pixel.png`;
    try {
      await sendMail(suite.sandbox, {
        subject: 'Images inside',
        html: `<p id="marker">Images</p><img id="inline" src="cid:logo@example.test" alt="logo"><img id="remote" src="${remote}" alt="tracker">`,
        attachments: [{ filename: 'logo.png', content: onePixelPng, contentType: 'image/png', cid: 'logo@example.test' }],
      });
      await row(page, 'Images inside').locator('.row-link').click();
      const frame = page.frameLocator('[data-testid="html-frame"]');
      await frame.locator('#marker').waitFor();
      await expect(frame.locator('#inline').getAttribute('src')).resolves.toMatch(/^data:image\/png;base64,/);
      await page.getByTestId('remote-blocked').waitFor();
      // Images are fetched before the frame's load event, so by then a tracker pixel would have phoned home.
      await (await (await page.getByTestId('html-frame').elementHandle())!.contentFrame())!.waitForLoadState('load');
      expect(fetched).toEqual([]);
      await page.getByTestId('load-remote').click();
      await expect(page.getByTestId('html-frame').getAttribute('src')).resolves.toMatch(/\/html\?remote=1$/);
      await frame.locator('#marker').waitFor();
      await expect.poll(() => fetched.length).toBeGreaterThan(0);
      // Width presets resize the preview frame.
      await page.locator('[data-width="phone"]').click();
      await expect(page.getByTestId('html-frame').evaluate((el) => (el as unknown as { offsetWidth: number }).offsetWidth)).resolves.toBe(375);
    } finally {
      imageHost.close();
    }
  });

  it('filters the list with the search box using the query language', async () => {
    const { page } = await open();
    await suite.sandbox.deliver(eml('Invoice 2031', 'Amount due'), { to: 'ann@example.test' });
    await suite.sandbox.deliver(eml('Newsletter', 'Weekly news', 'news@example.test'), { to: 'ann@example.test' });
    await row(page, 'Newsletter').waitFor();
    await page.getByTestId('search').fill('subject:invoice');
    await row(page, 'Newsletter').waitFor({ state: 'detached' });
    await row(page, 'Invoice 2031').waitFor();
    await page.getByTestId('search').fill('from:news@example.test');
    await row(page, 'Invoice 2031').waitFor({ state: 'detached' });
    await row(page, 'Newsletter').waitFor();
    // A live arrival that matches the active query shows up; one that doesn't, doesn't.
    await suite.sandbox.deliver(eml('Other', 'x', 'someone@example.test'), { to: 'ann@example.test' });
    await suite.sandbox.deliver(eml('Second news', 'x', 'news@example.test'), { to: 'ann@example.test' });
    await row(page, 'Second news').waitFor();
    await expect(row(page, 'Other').count()).resolves.toBe(0);
  });

  it('filters by mailbox, including mailboxes that appear while the page is open', async () => {
    const { page } = await open();
    await suite.sandbox.deliver(eml('For Ann'), { to: 'ann@example.test' });
    await row(page, 'For Ann').waitFor();
    await suite.sandbox.deliver(eml('For Bob'), { to: 'bob@example.test' });
    await page.locator('[data-testid="mailbox-filter"] option', { hasText: 'bob@example.test' }).waitFor({ state: 'attached' });
    await page.getByTestId('mailbox-filter').selectOption('bob@example.test');
    await row(page, 'For Ann').waitFor({ state: 'detached' });
    await row(page, 'For Bob').waitFor();
    await expect(page.getByTestId('count').textContent()).resolves.toBe('1 message');
  });

  it('deletes selected messages, and all messages after a confirmation', async () => {
    const { page } = await open();
    for (const s of ['Keep me', 'Delete me', 'Me too']) await suite.sandbox.deliver(eml(s), { to: 'ann@example.test' });
    await row(page, 'Keep me').waitFor();
    await row(page, 'Delete me').locator('.row-check').check();
    await row(page, 'Me too').locator('.row-check').check();
    await page.getByTestId('delete-selected').click();
    await row(page, 'Delete me').waitFor({ state: 'detached' });
    await row(page, 'Me too').waitFor({ state: 'detached' });
    await storeReaches(suite.sandbox, () => suite.sandbox.messages().length === 1);
    expect(suite.sandbox.messages().map((m) => m.subject)).toEqual(['Keep me']);
    await page.getByTestId('delete-all').click();
    await page.getByRole('alertdialog').waitFor();
    await page.getByTestId('confirm').click();
    await page.getByTestId('list-empty').waitFor();
    await storeReaches(suite.sandbox, () => suite.sandbox.messages().length === 0);
    expect(suite.sandbox.messages()).toEqual([]);
  });

  it('flips the read state live when \\Seen is set through PATCH', async () => {
    const { page } = await open();
    const m = await suite.sandbox.deliver(eml('Flag me'), { to: 'ann@example.test' });
    await page.locator('.row.unread', { hasText: 'Flag me' }).waitFor();
    const res = await fetch(`${suite.sandbox.url}/api/v1/messages/${m.id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ seen: true }) });
    expect(res.status).toBe(200);
    await page.locator('.row.read', { hasText: 'Flag me' }).waitFor();
    await fetch(`${suite.sandbox.url}/api/v1/messages/${m.id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ seen: false }) });
    await page.locator('.row.unread', { hasText: 'Flag me' }).waitFor();
  });

  it('flips the read state live when an IMAP client sets \\Seen with STORE', async () => {
    const { page } = await open();
    await suite.sandbox.deliver(eml('Read me over IMAP'), { to: 'ann@example.test' });
    await page.locator('.row.unread', { hasText: 'Read me over IMAP' }).waitFor();
    const client = new ImapFlow({ host: '127.0.0.1', port: suite.sandbox.ports.imap!, secure: false, doSTARTTLS: false, auth: { user: 'ann@example.test', pass: 'x' }, logger: false });
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd('1:*', ['\\Seen']);
    } finally {
      await client.logout();
    }
    await page.locator('.row.read', { hasText: 'Read me over IMAP' }).waitFor();
    expect(suite.sandbox.messages()[0].seen).toBe(true);
  });

  it('marks a message unread from the message view', async () => {
    const { page } = await open();
    await suite.sandbox.deliver(eml('Toggle me'), { to: 'ann@example.test' });
    await row(page, 'Toggle me').locator('.row-link').click();
    await page.locator('.row.read', { hasText: 'Toggle me' }).waitFor();
    await page.getByTestId('toggle-seen').click();
    await page.locator('.row.unread', { hasText: 'Toggle me' }).waitFor();
    await storeReaches(suite.sandbox, () => !suite.sandbox.messages()[0].seen);
    expect(suite.sandbox.messages()[0].seen).toBe(false);
  });
});
