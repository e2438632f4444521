import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/api/create-sandbox.js';
import type { Sandbox } from '../../src/api/create-sandbox.js';
import { formatFilter, mailMatchers } from '../../src/vitest/index.js';

const allOff = { smtp: { port: false }, submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false } } as const;

function eml(from: string, to: string, subject: string, body = 'Hello'): string {
  return `From: ${from}\nTo: ${to}\nSubject: ${subject}\nMessage-ID: <${Math.random().toString(36).slice(2)}@example.test>\n\n${body}\n`;
}

/** The message an assertion fails with (and a failure if it passes). */
async function failureOf(assertion: Promise<unknown>): Promise<string> {
  try {
    await assertion;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the assertion passed, but it should have failed');
}

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox(allOff);
});
afterEach(async () => {
  await sandbox.close();
});

describe('toHaveReceivedMail on an in-process sandbox', () => {
  it('passes for mail that was stored before the assertion', async () => {
    await sandbox.deliver(eml('app@example.test', 'ann@example.test', 'Reset your password'), { to: 'ann@example.test' });
    await expect(sandbox).toHaveReceivedMail({ to: 'ann@example.test', subject: /reset/i });
  });

  it('waits for mail that arrives after the assertion started', async () => {
    const assertion = expect(sandbox).toHaveReceivedMail({ subject: 'Welcome' }, { timeout: 5_000 });
    await sandbox.deliver(eml('app@example.test', 'bob@example.test', 'Welcome aboard'), { to: 'bob@example.test' });
    await assertion;
  });

  it('accepts a query string in the SPEC search language', async () => {
    await sandbox.deliver(eml('billing@example.test', 'ann@example.test', 'Your invoice'), { to: 'ann@example.test' });
    await expect(sandbox).toHaveReceivedMail('from:billing subject:invoice');
  });

  it('passes with no filter when any mail arrived', async () => {
    await sandbox.deliver(eml('a@example.test', 'b@example.test', 'Anything'), { to: 'b@example.test' });
    await expect(sandbox).toHaveReceivedMail();
  });

  it('fails listing the mail that arrived instead', async () => {
    await sandbox.deliver(eml('app@example.test', 'bob@example.test', 'Weekly digest'), { to: 'bob@example.test' });
    await sandbox.deliver(eml('app@example.test', 'carol@example.test', 'Invoice 42'), { to: 'carol@example.test' });
    const message = await failureOf(expect(sandbox).toHaveReceivedMail({ to: 'ann@example.test', subject: /reset/i }, { timeout: 100 }));
    expect(message).toContain('expected mail matching { to: "ann@example.test", subject: /reset/i } within 100 ms, but 2 other messages arrived (newest first):');
    expect(message).toContain('  - from app@example.test to carol@example.test: "Invoice 42"\n  - from app@example.test to bob@example.test: "Weekly digest"');
  });

  it('fails saying that no mail arrived at all when the store is empty', async () => {
    const message = await failureOf(expect(sandbox).toHaveReceivedMail({ to: 'ann@example.test' }, { timeout: 50 }));
    expect(message).toBe('expected mail matching { to: "ann@example.test" } within 50 ms, but no mail arrived at all');
  });

  it('lists only the ten newest messages and counts the rest', async () => {
    for (let i = 1; i <= 12; i++) await sandbox.deliver(eml('app@example.test', 'bob@example.test', `Note ${i}`), { to: 'bob@example.test' });
    const message = await failureOf(expect(sandbox).toHaveReceivedMail({ subject: 'Reset' }, { timeout: 50 }));
    expect(message).toContain('12 other messages arrived');
    expect(message).toContain('"Note 12"');
    expect(message).not.toContain('"Note 2"');
    expect(message).toContain('... and 2 older');
  });
});

describe('.not.toHaveReceivedMail', () => {
  it('passes when no stored mail matches', async () => {
    await sandbox.deliver(eml('app@example.test', 'bob@example.test', 'Hello Bob'), { to: 'bob@example.test' });
    await expect(sandbox).not.toHaveReceivedMail({ to: 'ann@example.test' });
  });

  it('fails naming the message that matched', async () => {
    await sandbox.deliver(eml('App <app@example.test>', 'Ann <ann@example.test>', 'Reset your password'), { to: 'ann@example.test' });
    const message = await failureOf(expect(sandbox).not.toHaveReceivedMail({ to: 'ann@example.test' }));
    expect(message).toBe('expected no mail matching { to: "ann@example.test" }, but this arrived:\n  from app@example.test to ann@example.test: "Reset your password"');
  });

  it('with a timeout, fails when matching mail arrives during the wait', async () => {
    const assertion = expect(sandbox).not.toHaveReceivedMail({ to: 'ann@example.test' }, { timeout: 5_000 });
    await sandbox.deliver(eml('app@example.test', 'ann@example.test', 'Late arrival'), { to: 'ann@example.test' });
    expect(await failureOf(assertion)).toContain('but this arrived:\n  from app@example.test to ann@example.test: "Late arrival"');
  });

  it('with a timeout, passes when nothing matching arrives in time', async () => {
    await expect(sandbox).not.toHaveReceivedMail({ to: 'ann@example.test' }, { timeout: 50 });
  });
});

describe('matcher input', () => {
  it('rejects something that is neither a sandbox nor a client with a TypeError', async () => {
    const message = await failureOf(expect({ url: 'http://x' }).toHaveReceivedMail({ to: 'ann@example.test' }));
    expect(message).toBe('toHaveReceivedMail expects a sandbox (createSandbox()) or a client (createClient(url)), received an object without messages()/waitForMessage() (url)');
  });

  it('reports a wait that failed for a reason other than a timeout', async () => {
    const broken = {
      messages: () => Promise.resolve([]),
      waitForMessage: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')),
    };
    const message = await failureOf(expect(broken).toHaveReceivedMail({ to: 'ann@example.test' }, { timeout: 50 }));
    expect(message).toBe('expected mail matching { to: "ann@example.test" } within 50 ms, but no mail arrived at all\n(waiting failed: connect ECONNREFUSED 127.0.0.1:9)');
  });

  it('formats filters with strings, RegExps and queries', () => {
    expect(formatFilter({ to: 'ann@example.test', subject: /reset/i })).toBe('{ to: "ann@example.test", subject: /reset/i }');
    expect(formatFilter('to:ann is:unread')).toBe('query "to:ann is:unread"');
    expect(formatFilter({})).toBe('any filter');
  });

  it('exports the matchers for expect.extend', () => {
    expect(Object.keys(mailMatchers)).toEqual(['toHaveReceivedMail']);
  });
});
