import { describe, expect, it } from 'vitest';
import { createTestContext, loadImapTranscript, openImapSession, playImapTranscript, seedMrc } from './imap-harness.js';

describe('IMAP session transcripts', () => {
  it.each(['rfc3501-example', 'rfc9051-example', 'updates', 'idle', 'folders-auth', 'bad-input'])('plays the %s transcript exactly', async (name) => {
    // bad-input plays many bad commands before login, to pin each answer; the pre-login limit of 3 has its own tests.
    const ctx = createTestContext(name === 'bad-input' ? { limits: { preLoginBadCommands: 50 } } : {});
    seedMrc(ctx);
    const { client, session } = openImapSession(ctx);
    const problems = await playImapTranscript(ctx, client, 'mrc@example.test', loadImapTranscript(name));
    expect(problems).toEqual([]);
    session.close();
  });

  it('leaves the RFC example message \\Deleted in the store, where the API sees it', async () => {
    const ctx = createTestContext();
    seedMrc(ctx);
    const { client } = openImapSession(ctx);
    expect(await playImapTranscript(ctx, client, 'mrc@example.test', loadImapTranscript('rfc3501-example'))).toEqual([]);
    const p = ctx.store.getFolder('mrc@example.test', 'INBOX')!.placements[1];
    expect([...p.flags].sort()).toEqual(['\\Deleted', '\\Seen']);
    await client.closed();
  });

  it('records the session: LOGIN password redacted, literals as their size', async () => {
    const ctx = createTestContext();
    const { client } = openImapSession(ctx);
    await client.readLine();
    client.sendLine('a1 LOGIN mrc@example.test hunter2');
    await client.readLine();
    client.sendLine('a2 APPEND INBOX {10+}');
    client.sendLine('Subject: x');
    expect(await client.readLine()).toMatch(/^a2 OK \[APPENDUID /);
    const lines = ctx.sessions.list('imap')[0].lines.map((l) => `${l.dir} ${l.line}`);
    expect(lines).toContain('C a1 LOGIN mrc@example.test ***');
    expect(lines).toContain('C a2 APPEND INBOX {10 bytes}');
    expect(lines.join('\n')).not.toContain('hunter2');
    client.sendLine('a3 LOGIN mrc@example.test "hunter3');
    expect(await client.readLine()).toMatch(/^a3 BAD/);
    client.sendLine(`a4 LOGIN mrc@example.test hunter4${'x'.repeat(70_000)}`);
    expect(await client.readLine()).toMatch(/^a4 BAD .*too long/);
    const all = ctx.sessions.list('imap')[0].lines.map((l) => l.line).join('\n');
    expect(all).toContain('a3 LOGIN ***');
    expect(all).not.toMatch(/hunter[34]/);
    expect(lines.join('\n')).not.toContain('Subject: x');
  });

  it('records a FETCH response with its text items as sent and its literals as their size', async () => {
    const ctx = createTestContext();
    const { client } = openImapSession(ctx);
    await client.readLine();
    client.sendLine('a1 LOGIN mrc@example.test x');
    await client.readLine();
    client.sendLine('a2 APPEND INBOX (\\Flagged) {26+}');
    client.sendLine('Subject: hi\r\n\r\nsecret body');
    expect(await client.readLine()).toMatch(/^a2 OK /);
    const untilTagged = async (tag: string): Promise<void> => {
      for (let line = await client.readLine(); !line?.startsWith(`${tag} `); line = await client.readLine()) {
        if (line === null) throw new Error(`connection closed before ${tag} completed`);
      }
    };
    client.sendLine('a3 SELECT INBOX');
    await untilTagged('a3');
    client.sendLine('a4 FETCH 1 (UID FLAGS ENVELOPE BODY[] RFC822.SIZE)');
    await untilTagged('a4');
    const lines = ctx.sessions.list('imap')[0].lines.map((l) => `${l.dir} ${l.line}`);
    expect(lines).toContain('S * 1 FETCH (UID 1 FLAGS (\\Flagged \\Seen \\Recent) ENVELOPE (NIL "hi" NIL NIL NIL NIL NIL NIL NIL NIL) BODY[] {26 bytes} RFC822.SIZE 26)');
    expect(lines.join('\n')).not.toContain('secret body');
  });
});
