import { createServer, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BrowserSuite, hasChromium, sendMail, suiteName } from './browser.js';

describe.skipIf(!hasChromium)(suiteName('the Webhooks page goes live over the WebSocket feed (Chromium)'), () => {
  const suite = new BrowserSuite();

  it('shows a delivery queued, retried after a 500 and then delivered, without re-reading the list', async () => {
    // The receiver answers the first call 500 and holds the second until the test lets it through.
    const held: ServerResponse[] = [];
    let calls = 0;
    let onSecondCall = () => {};
    const hook = createServer((req, res) => {
      req.resume();
      if (++calls === 1) return res.writeHead(500).end();
      held.push(res);
      onSecondCall();
    });
    hook.listen(0, '127.0.0.1');
    await once(hook, 'listening');
    const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
    try {
      const sandbox = await suite.freshSandbox({ webhooks: { urls: [url], retryDelaysMs: [0] } });
      const { page } = await suite.open({ hash: '#/webhooks' });
      await page.getByTestId('webhooks-config').filter({ hasText: url }).waitFor();
      // The page has read the list once (it shows the configuration); from here on every read is counted.
      const listReads: string[] = [];
      page.on('request', (r) => new URL(r.url()).pathname === '/api/v1/webhooks' && listReads.push(r.url()));
      const table = page.getByTestId('webhooks-table');

      const secondCall = new Promise<void>((resolve) => (onSecondCall = resolve));
      await sendMail(sandbox, { subject: 'Hooked live' });
      // The first attempt failed with 500 and a retry is under way: the row says so while the receiver holds it.
      await secondCall;
      const retrying = table.locator('tbody tr[data-result="pending"][data-attempts="1"]');
      await retrying.waitFor();
      await expect(retrying.textContent()).resolves.toMatch(/message\.added.*pending \(HTTP 500\).*500/);

      held.splice(0).forEach((res) => res.writeHead(204).end());
      const delivered = table.locator('tbody tr[data-result="success"][data-attempts="2"]');
      await delivered.waitFor();
      await expect(delivered.textContent()).resolves.toMatch(/message\.added.*success.*204/);
      await expect(table.locator('tbody tr').count()).resolves.toBe(1);
      // Every change came over the feed: the list was never read again.
      expect(listReads).toEqual([]);
    } finally {
      for (const res of held) res.destroy();
      hook.close();
    }
  });
});
