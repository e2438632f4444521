import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ImapFlow } from 'imapflow';
import { BrowserSuite, hasChromium, suiteName, row, sendMail, storeReaches } from './browser.js';

const eml = (subject: string) => `From: shop@example.test\r\nTo: ann@example.test\r\nSubject: ${subject}\r\n\r\nHello.\r\n`;

/**
 * A bare SMTP client that keeps its socket open between commands (leaving a `for await` loop would destroy the
 * stream). `expect` resolves once a reply matching `pattern` has arrived since the last call.
 */
function smtpLines(socket: Socket) {
  let buffer = '';
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    waiter?.();
  });
  return {
    expect(pattern: RegExp): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(buffer)) return;
          buffer = '';
          waiter = null;
          resolve();
        };
        waiter = check;
        socket.once('close', () => reject(new Error(`connection closed before ${pattern}`)));
        check();
      });
    },
  };
}

// Page-side code is passed as strings: the test project's types are Node's, not the DOM's.
function bodyBackground(page: Page): Promise<string> {
  return page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
}

describe.skipIf(!hasChromium)(suiteName('the sessions view, connect panel, themes and keyboard in Chromium'), () => {
  const suite = new BrowserSuite();
  const open = (options: { colorScheme?: 'light' | 'dark'; hash?: string } = {}) => suite.open(options);
  const freshSandbox = () => suite.freshSandbox();

  it("shows an SMTP session's transcript, with new lines appearing live", async () => {
    const sb = await freshSandbox();
    await sendMail(sb, { subject: 'Transcript me', text: 'body text that must not be logged' });
    const { page } = await open({ hash: '#/sessions' });
    const session = page.locator('.session-row', { hasText: 'SMTP' }).first();
    await session.waitFor();
    await session.locator('a').click();
    const transcript = page.getByTestId('transcript');
    await transcript.locator('.dir-client .line-text', { hasText: /^(EHLO|HELO) / }).first().waitFor();
    await transcript.locator('.dir-server .line-text', { hasText: /^250[ -]/ }).first().waitFor();
    await expect(transcript.textContent()).resolves.not.toContain('body text that must not be logged');

    // A second, live session: the inspector lists it and shows each command as it is sent.
    const socket = connect(sb.ports.smtp!, '127.0.0.1');
    const replies = smtpLines(socket);
    await once(socket, 'connect');
    try {
      await replies.expect(/^220 /m);
      await page.locator('.session-row .badge.live').first().waitFor();
      await page.locator('.session-row', { has: page.locator('.badge.live') }).first().locator('a').click();
      socket.write('EHLO live.example.test\r\n');
      await transcript.locator('.dir-client', { hasText: 'EHLO live.example.test' }).waitFor();
      await replies.expect(/^250 /m);
      socket.write('NOOP\r\n');
      await transcript.locator('.dir-client', { hasText: 'NOOP' }).waitFor();
    } finally {
      socket.destroy();
    }
  });

  it('lists IMAP sessions live next to SMTP ones and filters them by protocol', async () => {
    const sb = await freshSandbox();
    await sendMail(sb, { subject: 'Before IMAP', text: 'x' });
    const { page } = await open({ hash: '#/sessions' });
    await page.locator('.session-row .proto-smtp').first().waitFor();
    const client = new ImapFlow({ host: '127.0.0.1', port: sb.ports.imap!, secure: false, doSTARTTLS: false, auth: { user: 'ann@example.test', pass: 'x' }, logger: false });
    await client.connect();
    try {
      await page.locator('.session-row', { hasText: 'ann@example.test' }).locator('.proto-imap').waitFor();
      await page.getByRole('button', { name: 'IMAP', exact: true }).click();
      await page.locator('.session-row .proto-smtp').first().waitFor({ state: 'detached' });
      await page.locator('.session-row', { hasText: 'ann@example.test' }).locator('a').click();
      await page.getByTestId('transcript').locator('.dir-server .line-text', { hasText: /^\* OK/ }).first().waitFor();
      await client.mailboxOpen('INBOX');
      await page.getByTestId('transcript').locator('.dir-client .line-text', { hasText: /SELECT|EXAMINE/ }).first().waitFor();
    } finally {
      await client.logout();
    }
    await page.locator('.session-row .badge', { hasText: 'ended' }).first().waitFor();
    // Still filtered to IMAP: the SMTP session that delivered the mail stays out of the list.
    await expect(page.locator('.session-row .proto-smtp').count()).resolves.toBe(0);
  });

  it('shows the actual listener ports and copy-paste settings in the connect panel', async () => {
    const { page, sandbox: sb } = await open({ hash: '#/connect' });
    const listeners = page.getByTestId('listeners');
    await listeners.waitFor();
    const text = await listeners.textContent();
    expect(text).toContain(String(sb.ports.smtp));
    expect(text).toContain(String(sb.ports.imap));
    expect(text).not.toContain('POP3S');
    const panel = await page.getByTestId('connect-panel').textContent();
    expect(panel).toContain(`port: ${sb.ports.smtp}`);
    expect(panel).toContain(`smtplib.SMTP('127.0.0.1', ${sb.ports.smtp})`);
    expect(panel).toContain(`IMAP server: 127.0.0.1  port ${sb.ports.imap}  (none)`);
  });

  it('offers the TLS certificate as a PEM download, with the fingerprint the API reports', async () => {
    const { page, sandbox: sb } = await open({ hash: '#/connect' });
    const link = page.getByTestId('certificate-download');
    await link.waitFor();
    expect(await page.getByTestId('tls-certificate').textContent()).toContain(sb.info().tlsFingerprint256);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('mailsandbox.pem');
    const path = await download.path();
    expect(readFileSync(path, 'utf8')).toBe(sb.context.tls.cert.endsWith('\n') ? sb.context.tls.cert : `${sb.context.tls.cert}\n`);
  });

  it('switches to the dark theme, remembers it, and follows prefers-color-scheme on auto', async () => {
    const { page, sandbox: sb } = await open();
    const light = await bodyBackground(page);
    // auto (light here) -> light -> dark
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('theme-toggle').click();
    await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
    const dark = await bodyBackground(page);
    expect(dark).not.toBe(light);
    await page.reload();
    await page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
    await expect(bodyBackground(page)).resolves.toBe(dark);
    await suite.ui.context.close();
    const again = await open({ colorScheme: 'dark' });
    await again.page.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
    await expect(bodyBackground(again.page)).resolves.toBe(dark);
  });

  it('moves with j and k, opens with Enter, closes with Escape, deletes with # and focuses search with /', async () => {
    const sb = await freshSandbox();
    for (const s of ['Oldest', 'Middle', 'Newest']) await sb.deliver(eml(s), { to: 'ann@example.test' });
    const { page } = await open();
    await row(page, 'Oldest').waitFor();
    await page.keyboard.press('j');
    await page.locator('.row.cursor', { hasText: 'Newest' }).waitFor();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await page.locator('.row.cursor', { hasText: 'Middle' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="view-subject"]', { hasText: 'Middle' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('message-view').waitFor({ state: 'detached' });
    await page.keyboard.press('#');
    await row(page, 'Middle').waitFor({ state: 'detached' });
    await storeReaches(sb, () => sb.messages().length === 2);
    expect(sb.messages().map((m) => m.subject)).toEqual(['Newest', 'Oldest']);
    await page.keyboard.press('/');
    await expect(page.evaluate<string | null>("document.activeElement?.getAttribute('data-testid') ?? null")).resolves.toBe('search');
  });

  it('keeps only the rows on screen in the DOM and loads further pages while scrolling', async () => {
    const sb = await freshSandbox();
    for (let i = 0; i < 250; i++) await sb.deliver(eml(`Bulk ${i}`), { to: 'ann@example.test' });
    const { page } = await open();
    await row(page, 'Bulk 249').waitFor();
    await expect(page.getByTestId('count').textContent()).resolves.toBe('250 messages');
    const domRows = () => page.locator('.message-list .row').count();
    await expect(domRows()).resolves.toBeLessThan(40);
    const toBottom = () => page.getByTestId('list-scroll').evaluate((el) => void ((el as unknown as { scrollTop: number }).scrollTop = 1e9));
    // Each scroll to the end pulls in the next page of 100, until all 250 are loaded.
    await toBottom();
    await page.locator('.load-more button', { hasText: '200 of 250' }).waitFor();
    await toBottom();
    await page.locator('.load-more').waitFor({ state: 'detached' });
    await toBottom();
    await row(page, 'Bulk 0').waitFor();
    await expect(row(page, 'Bulk 249').count()).resolves.toBe(0);
    await expect(domRows()).resolves.toBeLessThan(40);
    // New mail arriving at the top doesn't move the rows the reader is looking at.
    const before = (await row(page, 'Bulk 0').boundingBox())!.y;
    await sb.deliver(eml('Late arrival'), { to: 'ann@example.test' });
    await page.getByTestId('count').filter({ hasText: '251 messages' }).waitFor();
    expect((await row(page, 'Bulk 0').boundingBox())!.y).toBe(before);
  });

  it('reconnects after the WebSocket drops and catches up on mail that arrived meanwhile', async () => {
    const sb = await freshSandbox();
    const context = await suite.browser.newContext();
    const page = await context.newPage();
    suite.ui = { context, page, pageErrors: [], frameConsole: [] };
    page.on('pageerror', (err) => suite.ui.pageErrors.push(err));
    let refuse = false;
    const sockets: Array<{ close(): Promise<void> }> = [];
    await page.routeWebSocket(/\/api\/v1\/events$/, (ws) => {
      if (refuse) return void ws.close();
      ws.connectToServer();
      sockets.push(ws);
    });
    await page.goto(`${sb.url}/`);
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
    refuse = true;
    await Promise.all(sockets.map((s) => s.close()));
    await page.locator('[data-testid="connection"][data-state="offline"]').waitFor();
    // Delivered while no feed is connected: only the catch-up re-fetch can bring it in.
    await sb.deliver(eml('Missed while offline'), { to: 'ann@example.test' });
    refuse = false;
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
    await row(page, 'Missed while offline').waitFor();
    await expect(page.getByTestId('count').textContent()).resolves.toBe('1 message');
  });

  it('is usable at phone width: the list and the message take the whole screen in turn', async () => {
    const sb = await freshSandbox();
    await sb.deliver(eml('Small screen'), { to: 'ann@example.test' });
    const { page } = await open();
    await page.setViewportSize({ width: 375, height: 740 });
    await row(page, 'Small screen').locator('.row-link').click();
    await page.getByTestId('view-subject').waitFor();
    await page.locator('.list-pane').waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Back to the list' }).click();
    await row(page, 'Small screen').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
