import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';

/**
 * SPEC §16: `mailsandbox/playwright` as a user runs it — `playwright test` on the sample project in
 * fixtures/playwright-sample (a sign-up app, a mailed confirmation link, two tests in two workers), in Debian's
 * Chromium. Once with a sandbox per worker, once with both workers on one shared sandbox (MAILSANDBOX_URL), where
 * each test's mailbox must see only its own mail.
 */
const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const chromium = '/usr/bin/chromium';
const hasChromium = existsSync(chromium);
if (!hasChromium && process.env.CI) throw new Error(`${chromium} is required in CI for the Playwright fixture test (apt-get install chromium)`);

interface TestResult {
  title: string;
  status: string;
  workerIndex: number;
  error?: string;
}

/** Runs the sample with the JSON reporter; resolves with each test's outcome. */
async function runSample(env: NodeJS.ProcessEnv): Promise<TestResult[]> {
  const cli = resolve(root, 'node_modules/@playwright/test/cli.js');
  const out = await run(process.execPath, [cli, 'test', '-c', 'fixtures/playwright-sample', '--reporter=json'], { cwd: root, env, timeout: 170_000, maxBuffer: 32 * 1024 * 1024 }).catch(
    (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
  );
  if (!out.stdout.trim().startsWith('{')) throw new Error(`playwright printed no report:\n${out.stdout}\n${out.stderr}`);
  const results: TestResult[] = [];
  const visit = (suite: { specs?: any[]; suites?: any[] }): void => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) for (const r of t.results) results.push({ title: spec.title, status: r.status, workerIndex: r.workerIndex, error: r.error?.message });
    }
    for (const s of suite.suites ?? []) visit(s);
  };
  visit(JSON.parse(out.stdout) as { suites: any[] });
  return results;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.MAILSANDBOX_URL;
  return env;
}

describe.skipIf(!hasChromium)(`the Playwright fixture in a real playwright test run${hasChromium ? '' : ` (skipped: ${chromium} is not installed)`}`, () => {
  beforeAll(() => {
    if (!existsSync(resolve(root, 'dist/playwright/index.js'))) throw new Error('dist/ is not built: run npm run build first (npm test does)');
  });

  it('runs two tests in two workers, each with its own sandbox: sign up, wait for the mail, open its link', async () => {
    const results = await runSample(cleanEnv());
    expect(results.map((r) => [r.title, r.status, r.error])).toEqual([
      ['ann signs up and activates the account from the emailed link', 'passed', undefined],
      ['bob signs up and activates the account from the emailed link', 'passed', undefined],
    ]);
    expect(new Set(results.map((r) => r.workerIndex)).size).toBe(2);
  }, 180_000);

  describe('with MAILSANDBOX_URL set', () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await createSandbox({ submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, logLevel: 'silent' });
    });
    afterAll(() => sandbox?.close());

    it("shares one running sandbox between the workers, and each test's mailbox sees only its own mail", async () => {
      const results = await runSample({ ...cleanEnv(), MAILSANDBOX_URL: sandbox.url! });
      expect(results.map((r) => [r.status, r.error])).toEqual([
        ['passed', undefined],
        ['passed', undefined],
      ]);
      expect(new Set(results.map((r) => r.workerIndex)).size).toBe(2);
      // Both workers' mail really went to this one sandbox, to two different per-test addresses.
      const mail = sandbox.messages({ subject: 'Confirm your account' });
      expect(mail).toHaveLength(2);
      const addresses = mail.map((m) => m.to[0].address);
      expect(new Set(addresses).size).toBe(2);
      for (const a of addresses) expect(a).toMatch(/^(ann|bob)-signs-up-[a-z-]+-[0-9a-f]{8}@example\.test$/);
    }, 180_000);
  });
});
