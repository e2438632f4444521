/**
 * Playwright fixtures for mailsandbox (SPEC §16). `@playwright/test` is an optional peer dependency: install it in
 * the project that imports this module.
 * @example
 * import { test, expect } from 'mailsandbox/playwright';
 *
 * test('sends a welcome mail', async ({ page, mailbox }) => {
 *   await page.getByLabel('Email').fill(mailbox.address);
 *   await page.getByRole('button', { name: 'Sign up' }).click();
 *   const mail = await mailbox.waitForMessage({ subject: /welcome/i });
 *   await page.goto(mail.links[0]);
 * });
 */
import { randomBytes } from 'node:crypto';
import { test as base, expect } from '@playwright/test';
import { createClient, type MailSandboxClient } from '../api/client.js';
import { createSandbox, type Sandbox } from '../api/create-sandbox.js';
import type { MailMessage, MessageFilter, MessageSummary, WaitOptions } from '../api/types.js';
import type { CheckName, CheckResults, ChecksReport } from '../checks/message-checks.js';
import type { SandboxOptions } from '../config.js';

export { expect };

/** The worker's sandbox: started in the worker, or a client of the one at `MAILSANDBOX_URL` when that is set. */
export type SandboxFixture = Sandbox | MailSandboxClient;

/** One test's own address, and the library's calls bound to it. */
export interface MailboxFixture {
  /** Unique per test: `<test-title>-<random>@<mailboxDomain>`. */
  readonly address: string;
  /**
   * The first message to this address matching `filter` (any, by default). Every message since the test began
   * counts — the address is new — so "submit the form, then wait" never misses a fast mail.
   */
  waitForMessage(filter?: MessageFilter | string, options?: WaitOptions): Promise<MailMessage>;
  /** Like `waitForMessage` for `options.count` messages (default 1), oldest first. */
  waitForMessages(filter?: MessageFilter | string, options?: WaitOptions): Promise<MailMessage[]>;
  /** Messages to this address so far, newest first. */
  messages(filter?: MessageFilter | string): Promise<MessageSummary[]>;
  /** The message checks (SPEC §14) of one of this mailbox's messages: all, or one by name. */
  check(message: string | { id: string }): Promise<ChecksReport>;
  check<K extends CheckName>(message: string | { id: string }, name: K): Promise<CheckResults[K]>;
}

export interface MailSandboxWorkerFixtures {
  sandbox: SandboxFixture;
  /** Where the app under test sends mail: the sandbox's plain SMTP listener. */
  smtp: { host: string; port: number };
  /** Options for the sandbox a worker starts (ignored with `MAILSANDBOX_URL`); set with `test.use()` or in the config. */
  sandboxOptions: SandboxOptions;
  /** The domain of `mailbox.address` (default `example.test`). */
  mailboxDomain: string;
}

export interface MailSandboxTestFixtures {
  mailbox: MailboxFixture;
}

/** What the fixtures call on either kind of sandbox (the in-process one answers some of these synchronously). */
interface SandboxCalls {
  waitForMessages(filter: MessageFilter, options: WaitOptions): Promise<MailMessage[]>;
  messages(filter: MessageFilter): MessageSummary[] | Promise<MessageSummary[]>;
  check(id: string, name?: CheckName): Promise<unknown>;
}

export const test = base.extend<MailSandboxTestFixtures, MailSandboxWorkerFixtures>({
  sandboxOptions: [{}, { scope: 'worker', option: true }],
  mailboxDomain: ['example.test', { scope: 'worker', option: true }],
  sandbox: [
    async ({ sandboxOptions }, use) => {
      const url = process.env.MAILSANDBOX_URL;
      if (url) return use(createClient(url));
      const sandbox = await createSandbox({ logLevel: 'warn', ...sandboxOptions });
      try {
        await use(sandbox);
      } finally {
        await sandbox.close();
      }
    },
    { scope: 'worker' },
  ],
  smtp: [async ({ sandbox }, use) => use(await smtpOf(sandbox)), { scope: 'worker' }],
  mailbox: async ({ sandbox, mailboxDomain }, use, testInfo) => {
    const slug = testInfo.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 32) || 'test';
    await use(boundMailbox(sandbox, `${slug}-${randomBytes(4).toString('hex')}@${mailboxDomain}`));
  },
});

async function smtpOf(sandbox: SandboxFixture): Promise<{ host: string; port: number }> {
  if ('ports' in sandbox) {
    if (sandbox.ports.smtp === null) throw new Error('The sandbox has no SMTP listener: leave sandboxOptions.smtp.port unset or give it a port');
    return { host: sandbox.config.host === '0.0.0.0' ? '127.0.0.1' : sandbox.config.host, port: sandbox.ports.smtp };
  }
  const smtp = (await sandbox.info()).listeners.find((l) => l.name === 'smtp');
  if (!smtp) throw new Error(`The sandbox at ${sandbox.baseUrl} has no SMTP listener`);
  return { host: new URL(sandbox.baseUrl).hostname, port: smtp.port };
}

/** The mailbox fixture over either kind of sandbox: every call narrowed to messages delivered to `address`. */
export function boundMailbox(sandbox: SandboxFixture, address: string): MailboxFixture {
  const calls = sandbox as unknown as SandboxCalls;
  const own = (filter: MessageFilter | string = {}): MessageFilter => ({ ...(typeof filter === 'string' ? { query: filter } : filter), mailbox: address });
  const waitForMessages = (filter?: MessageFilter | string, options: WaitOptions = {}) => calls.waitForMessages(own(filter), { since: 'start', ...options });
  return {
    address,
    waitForMessages,
    waitForMessage: async (filter, options = {}) => (await waitForMessages(filter, { ...options, count: 1 }))[0],
    messages: async (filter) => calls.messages(own(filter)),
    check: ((message: string | { id: string }, name?: CheckName) => calls.check(typeof message === 'string' ? message : message.id, name)) as MailboxFixture['check'],
  };
}
