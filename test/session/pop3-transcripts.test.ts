import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createTestContext, loadTranscript, openSession, playTranscript, seedMrose as seed } from './pop3-harness.js';

describe('POP3 session transcripts', () => {
  it.each(['rfc1939-example', 'capa-auth', 'dele-rset', 'top', 'bad-input'])('plays the %s transcript exactly', async (name) => {
    // bad-input plays many bad commands before login, to pin each answer; the pre-login limit of 3 has its own tests.
    const ctx = createTestContext(name === 'bad-input' ? { limits: { preLoginBadCommands: 50 } } : {});
    seed(ctx);
    // A context without a certificate: enough for STLS to be offered; these transcripts never start TLS.
    const { client, session } = openSession(ctx, { secureContext: createSecureContext() });
    const problems = await playTranscript(client, loadTranscript(name));
    expect(problems).toEqual([]);
    await session.closed;
  });

  it('commits the deletions of the RFC 1939 example at QUIT, and only then', async () => {
    const ctx = createTestContext();
    seed(ctx);
    const { client, session } = openSession(ctx);
    const steps = loadTranscript('rfc1939-example');
    const beforeQuit = steps.slice(0, steps.findIndex((s) => s.text === 'QUIT'));
    expect(await playTranscript(client, beforeQuit)).toEqual([]);
    expect(ctx.store.size).toBe(2);
    client.sendLine('QUIT');
    expect(await client.readLine()).toMatch(/^\+OK .*2 messages deleted/);
    await session.closed;
    expect(ctx.store.size).toBe(0);
    expect(ctx.store.getMailbox('mrose@example.test')?.pop3LockedBy).toBeNull();
  });
});
