import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { WaitTimeoutError, WaiterLimitError } from '../../src/store/message-waiter.js';
import { compose, simpleEml } from './http-helpers.js';

const allOff = { smtp: { port: false }, submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false }, logLevel: 'silent' } as const;

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await createSandbox(allOff);
});
afterEach(async () => {
  vi.useRealTimers();
  await sandbox.close();
});

describe('waitForMessage', () => {
  it('resolves with the full message when matching mail arrives, driven by the delivery itself', async () => {
    const waiting = sandbox.waitForMessage({ to: 'ann@example.test', subject: /reset/i }, { timeout: 5000 });
    await sandbox.deliver(simpleEml({ to: 'ann@example.test', subject: 'Welcome' }), { to: 'ann@example.test' });
    await sandbox.deliver(await compose({ to: 'ann@example.test', subject: 'Reset your password', text: 'Use code 123456 or https://app.test/reset?t=1' }), { to: 'ann@example.test' });
    const msg = await waiting;
    expect(msg.subject).toBe('Reset your password');
    expect(msg.links).toEqual(['https://app.test/reset?t=1']);
    expect(msg.codes).toEqual(['123456']);
    expect(Buffer.isBuffer(msg.raw)).toBe(true);
    expect(sandbox.context.waiters.active).toBe(0);
  });

  it('only counts mail after the call unless since is start', async () => {
    await sandbox.deliver(simpleEml({ subject: 'early' }), { to: 'bob@example.test' });
    await expect(sandbox.waitForMessage({ subject: 'early' }, { timeout: 30 })).rejects.toThrow(/already stored before the wait began; pass \{ since: 'start' \}/);
    expect((await sandbox.waitForMessage({ subject: 'early' }, { since: 'start', timeout: 30 })).subject).toBe('early');
  });

  it('counts mail after a given message id or Date', async () => {
    const first = await sandbox.deliver(simpleEml({ subject: 'one' }), { to: 'bob@example.test' });
    await sandbox.deliver(simpleEml({ subject: 'two' }), { to: 'bob@example.test' });
    expect((await sandbox.waitForMessage({}, { since: first.id, timeout: 30 })).subject).toBe('two');
    expect((await sandbox.waitForMessage({}, { since: new Date(Date.now() - 60_000), timeout: 30 })).subject).toBe('one');
    await expect(sandbox.waitForMessage({}, { since: 'no-such-id', timeout: 30 })).rejects.toThrow(RangeError);
  });

  it('takes a query string as the filter', async () => {
    const waiting = sandbox.waitForMessage('to:carl is:unread', { timeout: 5000 });
    await sandbox.deliver(simpleEml({ to: 'carl@example.test', subject: 'for carl' }), { to: 'carl@example.test' });
    expect((await waiting).subject).toBe('for carl');
  });

  it('rejects on timeout with an error listing what did arrive', async () => {
    const waiting = sandbox.waitForMessage({ to: 'ann@example.test', subject: /reset/i }, { timeout: 200 });
    await sandbox.deliver(simpleEml({ from: 'noreply@app.test', to: 'bob@example.test', subject: 'Welcome Bob' }), { to: 'bob@example.test' });
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    const message = (err as Error).message;
    expect(message).toContain('timed out after 200 ms');
    expect(message).toContain('{ to: "ann@example.test", subject: /reset/i }');
    expect(message).toContain('1 message arrived meanwhile');
    expect(message).toContain('"Welcome Bob" from noreply@app.test to bob@example.test');
    expect(sandbox.context.waiters.active).toBe(0);
  });

  it('says so when nothing arrived at all', async () => {
    await expect(sandbox.waitForMessage({}, { timeout: 20 })).rejects.toThrow('No message arrived meanwhile.');
  });

  it('waits for several messages with waitForMessages, oldest first', async () => {
    const waiting = sandbox.waitForMessages({ to: 'ann@example.test' }, { count: 2, timeout: 5000 });
    await sandbox.deliver(simpleEml({ to: 'ann@example.test', subject: 'a' }), { to: 'ann@example.test' });
    await sandbox.deliver(simpleEml({ to: 'ann@example.test', subject: 'b' }), { to: 'ann@example.test' });
    expect((await waiting).map((m) => m.subject)).toEqual(['a', 'b']);
  });

  it('is released at once by an AbortSignal', async () => {
    const controller = new AbortController();
    const waiting = sandbox.waitForMessage({}, { timeout: 60_000, signal: controller.signal });
    expect(sandbox.context.waiters.active).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toThrow(/aborted/);
    expect(sandbox.context.waiters.active).toBe(0);
  });

  it('fails pending waits at once when the sandbox closes', async () => {
    const waiting = sandbox.waitForMessage({}, { timeout: 60_000 });
    await sandbox.close();
    await expect(waiting).rejects.toThrow('The sandbox is closing');
    expect(sandbox.context.waiters.active).toBe(0);
  });

  it('refuses waits past the cap and timeouts past the maximum', async () => {
    await sandbox.close();
    sandbox = await createSandbox({ ...allOff, limits: { maxWaiters: 1, maxWaitMs: 1000 } });
    const controller = new AbortController();
    const first = sandbox.waitForMessage({}, { timeout: 1000, signal: controller.signal });
    await expect(sandbox.waitForMessage({}, { timeout: 1000 })).rejects.toBeInstanceOf(WaiterLimitError);
    await expect(sandbox.waitForMessage({}, { timeout: 1001 })).rejects.toThrow(RangeError);
    controller.abort();
    await expect(first).rejects.toThrow();
  });
});

describe('messages, deliver, getMessage and clear', () => {
  it('lists, pages and filters what deliver stored', async () => {
    await sandbox.deliver('From: a@x.test\nTo: ann@example.test\nSubject: first\n\nhi\n', { to: 'ann@example.test', from: 'bounce@x.test' });
    await sandbox.deliver(simpleEml({ subject: 'second' }), { to: ['bob@example.test', 'carl@example.test'], folder: 'Junk', flags: ['\\Seen'] });
    expect(sandbox.messages().map((m) => m.subject)).toEqual(['second', 'first']);
    expect(sandbox.messages({ mailbox: 'carl@example.test' }).map((m) => m.subject)).toEqual(['second']);
    expect(sandbox.messages('is:unread').map((m) => m.subject)).toEqual(['first']);
    expect(sandbox.messages({}, { limit: 1, offset: 1 }).map((m) => m.subject)).toEqual(['first']);
    const first = sandbox.messages({ subject: 'first' })[0];
    const full = await sandbox.getMessage(first.id);
    expect(full?.envelope).toEqual({ mailFrom: 'bounce@x.test', rcptTo: ['ann@example.test'] });
    expect(full?.raw.toString()).toBe('From: a@x.test\r\nTo: ann@example.test\r\nSubject: first\r\n\r\nhi\r\n');
    expect(await sandbox.getMessage('nope')).toBeUndefined();
    sandbox.clear();
    expect(sandbox.messages()).toEqual([]);
  });
});

describe('two sandboxes in one process', () => {
  it('keep their mail, waits and caps apart', async () => {
    const other = await createSandbox({ ...allOff, limits: { maxWaiters: 1 } });
    try {
      const mine = sandbox.waitForMessage({}, { timeout: 5000 });
      const theirs = other.waitForMessage({}, { timeout: 5000 });
      // The other sandbox's single waiter slot is taken; this sandbox's cap is untouched.
      await expect(other.waitForMessage({}, { timeout: 5000 })).rejects.toBeInstanceOf(WaiterLimitError);
      await other.deliver(simpleEml({ subject: 'for other' }), { to: 'x@example.test' });
      expect((await theirs).subject).toBe('for other');
      expect(sandbox.messages()).toEqual([]);
      await sandbox.deliver(simpleEml({ subject: 'for me' }), { to: 'x@example.test' });
      expect((await mine).subject).toBe('for me');
      expect(other.messages().map((m) => m.subject)).toEqual(['for other']);
    } finally {
      await other.close();
    }
  });
});

/**
 * A test takes `new Date()`, its app sends mail, the test waits `since` that Date. With a millisecond clock the
 * mail is often stored in that very millisecond; freezing the clock makes that case certain. (The same over HTTP is
 * in client.test.ts.)
 */
describe('waitForMessage since a Date, when the mail is stored in the same millisecond', () => {
  it('counts it in-process', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const since = new Date();
    await sandbox.deliver(simpleEml({ subject: 'Same millisecond' }), { to: 'ann@example.test' });
    const msg = await sandbox.waitForMessage({ subject: 'Same millisecond' }, { since, timeout: 2_000 });
    expect(msg.receivedAt).toBe(since.toISOString());
  });
});
