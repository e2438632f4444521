import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/api/client.js';
import type { MailSandboxClient } from '../../src/api/client.js';
import { createSandbox } from '../../src/api/create-sandbox.js';
import type { Sandbox } from '../../src/api/create-sandbox.js';
import '../../src/vitest/index.js';

const onlyHttp = { smtp: { port: false }, submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: 0 } } as const;

function eml(to: string, subject: string): string {
  return `From: app@example.test\nTo: ${to}\nSubject: ${subject}\n\nHello\n`;
}

async function failureOf(assertion: Promise<unknown>): Promise<string> {
  try {
    await assertion;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the assertion passed, but it should have failed');
}

describe('toHaveReceivedMail on a client (createClient over HTTP)', () => {
  let sandbox: Sandbox;
  let client: MailSandboxClient;
  beforeAll(async () => {
    sandbox = await createSandbox(onlyHttp);
    client = createClient(sandbox.url!);
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.clear());

  it('passes for mail stored before the assertion, matching a RegExp subject', async () => {
    await sandbox.deliver(eml('ann@example.test', 'Reset your password'), { to: 'ann@example.test' });
    await expect(client).toHaveReceivedMail({ to: 'ann@example.test', subject: /reset/i });
  });

  it('waits for mail that arrives while the assertion is waiting', async () => {
    const assertion = expect(client).toHaveReceivedMail({ subject: 'Later' }, { timeout: 5_000 });
    await sandbox.deliver(eml('bob@example.test', 'Later'), { to: 'bob@example.test' });
    await assertion;
  });

  it('fails listing what arrived instead', async () => {
    await sandbox.deliver(eml('bob@example.test', 'Weekly digest'), { to: 'bob@example.test' });
    const message = await failureOf(expect(client).toHaveReceivedMail({ to: 'ann@example.test' }, { timeout: 200 }));
    expect(message).toBe(
      'expected mail matching { to: "ann@example.test" } within 200 ms, but 1 other message arrived (newest first):\n' +
        '  - from app@example.test to bob@example.test: "Weekly digest"',
    );
  });

  it('supports .not, failing with the message that matched', async () => {
    await expect(client).not.toHaveReceivedMail({ to: 'ann@example.test' });
    await sandbox.deliver(eml('ann@example.test', 'Oops'), { to: 'ann@example.test' });
    const message = await failureOf(expect(client).not.toHaveReceivedMail({ to: 'ann@example.test' }));
    expect(message).toBe('expected no mail matching { to: "ann@example.test" }, but this arrived:\n  from app@example.test to ann@example.test: "Oops"');
  });

  it('shows why waiting failed when the sandbox is unreachable', async () => {
    const gone = await createSandbox(onlyHttp);
    const url = gone.url!;
    await gone.close();
    const message = await failureOf(expect(createClient(url)).toHaveReceivedMail({ to: 'ann@example.test' }, { timeout: 200 }));
    expect(message).toContain('expected mail matching { to: "ann@example.test" } within 200 ms, but the stored mail could not be listed:');
    expect(message).toContain('(waiting failed: ');
  });
});
