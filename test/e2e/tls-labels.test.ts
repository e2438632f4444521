import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { BrowserSuite, hasChromium, openUi, suiteName } from './browser.js';

const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe.skipIf(!hasChromium)(suiteName('the upgrade is named the same everywhere: STLS for POP3, STARTTLS for SMTP and IMAP'), () => {
  const suite = new BrowserSuite();

  it('agrees across the CLI banner, the Connect panel and the README config table', async () => {
    let ui: Awaited<ReturnType<typeof openUi>> | undefined;
    const cli = spawn(process.execPath, [cliPath, '--ports', '0', '--starttls', 'on', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      // Not a terminal: the human banner, then the JSON line.
      let banner = '';
      const ready = await new Promise<{ ui: string }>((resolve, reject) => {
        cli.stdout.on('data', (d: Buffer) => {
          banner += d.toString();
          const json = banner.split('\n').find((l) => l.startsWith('{'));
          if (json) resolve(JSON.parse(json));
        });
        cli.once('exit', (code) => reject(new Error(`the CLI exited with ${code}: ${banner}`)));
      });
      expect(banner).toMatch(/POP3\s+pop3:\/\/127\.0\.0\.1:\d+ \(STLS\)\n/);
      expect(banner).toMatch(/SMTP\s+smtp:\/\/127\.0\.0\.1:\d+ \(STARTTLS\)\n/);
      expect(banner).toMatch(/IMAP\s+imap:\/\/127\.0\.0\.1:\d+ \(STARTTLS\)\n/);

      ui = suite.ui = await openUi(suite.browser, { url: ready.ui } as Sandbox, { hash: '#/connect' });
      const { page } = ui;
      const security = async (name: string) =>
        (await page.getByTestId('listeners').locator('tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) }).locator('td').nth(1).textContent())?.trim();
      await expect(security('POP3')).resolves.toBe('plain + STLS');
      await expect(security('SMTP')).resolves.toBe('plain + STARTTLS');
      await expect(security('IMAP')).resolves.toBe('plain + STARTTLS');
      await expect(page.getByTestId('connect-panel').textContent()).resolves.toMatch(/POP3 server: 127\.0\.0\.1 {2}port \d+ {2}\(none or STLS\)/);

      expect(readme).toContain('| `--pop3-port` | `MAILSANDBOX_POP3_PORT` | 1110 | POP3, plain (STLS with `--starttls on`) |');
      expect(readme).toContain('| `--smtp-port` | `MAILSANDBOX_SMTP_PORT` | 1025 | SMTP, plain (STARTTLS with `--starttls on`) |');
      expect(readme).toContain('Ports 1110 (plain; `STLS` only with `--starttls on|required`)');
    } finally {
      // The page first: its live feed would report the stopped server as a console error.
      await ui?.context.close();
      cli.kill('SIGTERM');
      if (cli.exitCode === null) await once(cli, 'exit');
    }
  });
});
