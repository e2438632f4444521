import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type MailSandboxClient, type Sandbox } from '../../src/index.js';
import { httpSandbox, simpleEml } from './http-helpers.js';

let sandbox: Sandbox;
let client: MailSandboxClient;
beforeEach(async () => {
  sandbox = await httpSandbox();
  client = createClient(sandbox.url!);
});
afterEach(async () => {
  vi.useRealTimers();
  await sandbox.close();
});

/** A loopback port nothing listens on: bound, noted, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A test takes `new Date()`, its app sends mail, the test waits `since` that Date. With a millisecond clock the
 * mail is often stored in that very millisecond; freezing the clock makes that case certain.
 */
describe('since a Date, when the mail is stored in the same millisecond', () => {
  it('counts it in-process', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const since = new Date();
    await sandbox.deliver(simpleEml({ subject: 'Same millisecond' }), { to: 'ann@example.test' });
    const msg = await sandbox.waitForMessage({ subject: 'Same millisecond' }, { since, timeout: 2_000 });
    expect(msg.receivedAt).toBe(since.toISOString());
  });

  it('counts it over HTTP', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const since = new Date();
    await sandbox.deliver(simpleEml({ subject: 'Same millisecond' }), { to: 'ann@example.test' });
    const msg = await client.waitForMessage({ subject: 'Same millisecond' }, { since, timeout: 2_000 });
    expect(msg.subject).toBe('Same millisecond');
  });
});

describe('createClient', () => {
  it('says when matching mail was stored before the wait began, for query and RegExp filters', async () => {
    // The clock moves on a second between storing and waiting, so "before" is unambiguous (not the same ms).
    vi.useFakeTimers({ toFake: ['Date'] });
    await sandbox.deliver(simpleEml({ to: 'ann@example.test', subject: 'Reset your password' }), { to: 'ann@example.test' });
    await sandbox.deliver(simpleEml({ to: 'ann@example.test', subject: 'Welcome' }), { to: 'ann@example.test' });
    vi.setSystemTime(Date.now() + 1_000);
    const hint = "1 matching message was already stored before the wait began; pass { since: 'start' } to count it.";
    const byString = await client.waitForMessage({ subject: 'reset' }, { timeout: 50 }).catch((e: Error) => e);
    expect((byString as Error).message).toContain(hint);
    const byRegExp = await client.waitForMessage({ subject: /^Reset/ }, { timeout: 50 }).catch((e: Error) => e);
    expect((byRegExp as Error).message).toContain(hint);
    const missing = await client.waitForMessage({ subject: /nothing like it/ }, { timeout: 50 }).catch((e: Error) => e);
    expect((missing as Error).message).not.toContain('already stored');
  });

  it('lists RegExp-subject matches from the summaries, fetching only the messages that can match', async () => {
    for (let i = 0; i < 30; i++) await sandbox.deliver(simpleEml({ subject: i === 7 ? 'Reset your password' : `Newsletter ${i}` }), { to: 'ann@example.test' });
    const requests = vi.spyOn(globalThis, 'fetch');
    const found = await client.messages({ subject: /^reset/i });
    expect(found.map((m) => m.subject)).toEqual(['Reset your password']);
    expect(requests.mock.calls.length).toBeLessThanOrEqual(2);
    requests.mockRestore();
  });

  it('pages body-RegExp matches exactly as the in-process sandbox does', async () => {
    for (let i = 0; i < 25; i++) await sandbox.deliver(simpleEml({ subject: `Mail ${i}`, body: i % 3 ? `Order ${i} shipped` : 'Hello' }), { to: 'ann@example.test' });
    const page = { limit: 5, offset: 3 };
    const expected = sandbox.messages({ text: /order \d+ shipped/i }, page).map((m) => m.subject);
    expect(expected).toHaveLength(5);
    expect((await client.messages({ text: /order \d+ shipped/i }, page)).map((m) => m.subject)).toEqual(expected);
  });

  it('names the sandbox URL and the reason when nothing answers there', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = (await createClient(url).messages().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`Cannot reach mailsandbox at ${url} (GET /api/v1/messages)`);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('explains at once what URL it wants when given none or one without http://', () => {
    const unset = process.env.QA_USER_UNSET_URL;
    expect(() => createClient(unset!)).toThrow(/createClient needs the sandbox's base URL, like http:\/\/127\.0\.0\.1:8025; got undefined/);
    expect(() => createClient('localhost:8025')).toThrow(/got "localhost:8025"/);
    expect(() => createClient('127.0.0.1:8025')).toThrow(/got "127\.0\.0\.1:8025"/);
    expect(createClient('https://mail.example.test/sandbox/').baseUrl).toBe('https://mail.example.test/sandbox');
  });

  it('refuses a timeout or count the in-process wait refuses, before sending anything', async () => {
    const listing = vi.spyOn(globalThis, 'fetch');
    await expect(client.waitForMessage({}, { timeout: 0 })).rejects.toThrow(RangeError);
    await expect(client.waitForMessage({}, { timeout: Number.NaN })).rejects.toThrow(RangeError);
    await expect(client.waitForMessages({}, { count: 0 })).rejects.toThrow(/count must be a whole number/);
    await expect(sandbox.waitForMessages({}, { count: 0 })).rejects.toThrow(/count must be a whole number/);
    expect(listing).not.toHaveBeenCalled();
    listing.mockRestore();
  });
});
