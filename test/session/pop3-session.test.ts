import { connect } from 'node:tls';
import { createSecureContext } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTlsMaterial } from '../../src/shared/tls.js';
import type { TlsMaterial } from '../../src/shared/tls.js';
import { createTestContext, LineClient, message1, message2, openSession, seedMrose } from './pop3-harness.js';

async function login(client: LineClient, user = 'mrose@example.test'): Promise<string | null> {
  await client.readLine(); // greeting
  client.sendLine(`USER ${user}`);
  await client.readLine();
  client.sendLine('PASS secret');
  return client.readLine();
}

describe('POP3 session: message bytes', () => {
  it('sends RETR bytes that unstuff to exactly the stored message, with CRLF added only when missing', async () => {
    const ctx = createTestContext();
    seedMrose(ctx);
    const { client } = openSession(ctx);
    await login(client);
    client.sendLine('RETR 1');
    expect(await client.readLine()).toBe('+OK 102 octets');
    expect((await client.readMultiline()).equals(message1)).toBe(true);
    client.sendLine('RETR 2');
    await client.readLine();
    expect((await client.readMultiline()).equals(Buffer.concat([message2, Buffer.from('\r\n')]))).toBe(true);
  });

  it('stuffs a dot that follows a bare LF, so LF-splitting clients never see an early terminator', async () => {
    const ctx = createTestContext();
    const raw = Buffer.from('Subject: lf\n\n.\n.x\r\n');
    ctx.store.deliver({ raw, envelope: { mailFrom: '', rcptTo: ['lf@example.test'] }, source: 'api' });
    const { client } = openSession(ctx);
    await login(client, 'lf@example.test');
    client.sendLine('RETR 1');
    await client.readLine();
    const wire = await client.readMultiline();
    expect(wire.toString()).toBe('Subject: lf\n\n..\n..x\r\n'.replace(/\n\.\./g, '\n.').replace('\n.\n', '\n..\n').replace('\n.x', '\n..x'));
  });
});

describe('POP3 session: locking and the snapshot', () => {
  it('answers a second session on the same mailbox with -ERR [IN-USE] and frees the lock when the first closes', async () => {
    const ctx = createTestContext();
    seedMrose(ctx);
    const first = openSession(ctx);
    expect(await login(first.client)).toMatch(/^\+OK/);
    const second = openSession(ctx);
    expect(await login(second.client, 'MRose@Example.TEST')).toMatch(/^-ERR \[IN-USE\] /);
    first.client.stream.destroy();
    await first.session.closed;
    second.client.sendLine('USER mrose@example.test');
    await second.client.readLine();
    second.client.sendLine('PASS again');
    expect(await second.client.readLine()).toBe('+OK mrose@example.test has 2 messages (143 octets)');
  });

  it('commits nothing when the connection drops after DELE', async () => {
    const ctx = createTestContext();
    seedMrose(ctx);
    const { client, session } = openSession(ctx);
    await login(client);
    client.sendLine('DELE 1');
    expect(await client.readLine()).toMatch(/^\+OK/);
    client.stream.destroy();
    await session.closed;
    expect(ctx.store.size).toBe(2);
    expect(ctx.store.getMailbox('mrose@example.test')?.pop3LockedBy).toBeNull();
  });

  it('keeps a message RETR-able in a live session after the store deleted it, and its number stays put', async () => {
    const ctx = createTestContext();
    seedMrose(ctx);
    const { client } = openSession(ctx);
    await login(client);
    for (const m of [...ctx.store.newestFirst()]) ctx.store.deleteMessage(m.id);
    expect(ctx.store.size).toBe(0);
    client.sendLine('RETR 1');
    expect(await client.readLine()).toBe('+OK 102 octets');
    expect((await client.readMultiline()).equals(message1)).toBe(true);
    client.sendLine('DELE 2');
    expect(await client.readLine()).toMatch(/^\+OK/);
    client.sendLine('QUIT');
    expect(await client.readLine()).toMatch(/^\+OK/);
  });

  it('does not show mail that arrives after login until the next session', async () => {
    const ctx = createTestContext();
    seedMrose(ctx);
    const { client } = openSession(ctx);
    await login(client);
    ctx.store.deliver({ raw: Buffer.from('Subject: late\r\n\r\nx\r\n'), envelope: { mailFrom: '', rcptTo: ['mrose@example.test'] }, source: 'api' });
    client.sendLine('STAT');
    expect(await client.readLine()).toBe('+OK 2 143');
  });

  it('marks RETR-ed messages \\Seen at QUIT, not before, and leaves TOP-ped ones unread', async () => {
    const ctx = createTestContext();
    seedMrose(ctx);
    const { client, session } = openSession(ctx);
    await login(client);
    client.sendLine('RETR 1');
    await client.readLine();
    await client.readMultiline();
    client.sendLine('TOP 2 0');
    await client.readLine();
    await client.readMultiline();
    const [m2, m1] = [...ctx.store.newestFirst()];
    expect(ctx.store.isSeen(m1)).toBe(false);
    client.sendLine('QUIT');
    await client.readLine();
    await session.closed;
    expect(ctx.store.isSeen(m1)).toBe(true);
    expect(ctx.store.isSeen(m2)).toBe(false);
  });
});

describe('POP3 session: limits and bad input', () => {
  it('answers an overlong line with -ERR, without buffering it, and carries on', async () => {
    const ctx = createTestContext();
    const { client } = openSession(ctx);
    await client.readLine();
    client.send('USER ' + 'x'.repeat(100_000));
    client.send('y'.repeat(100_000) + '\r\nCAPA\r\n');
    expect(await client.readLine()).toBe('-ERR Line too long (limit 512 octets)');
    expect(await client.readLine()).toBe('+OK Capability list follows');
  });

  it('accepts a line of exactly the limit, CRLF included, and refuses one octet more', async () => {
    const ctx = createTestContext({ limits: { pop3LineLength: 64 } });
    const { client } = openSession(ctx);
    await client.readLine();
    const name = (n: number) => 'a'.repeat(n - 'USER '.length - 2 - '@x'.length) + '@x';
    client.sendLine(`USER ${name(64)}`);
    expect(await client.readLine()).toMatch(/^\+OK/);
    client.sendLine(`USER ${name(65)}`);
    expect(await client.readLine()).toMatch(/^-ERR Line too long/);
  });

  it('refuses NUL and other control bytes in a command', async () => {
    const ctx = createTestContext();
    const { client, session } = openSession(ctx);
    await client.readLine();
    client.send(Buffer.from('USER a\0b@example.test\r\nUSER ok@example.test\r\n'));
    expect(await client.readLine()).toBe('-ERR Invalid characters in command');
    expect(await client.readLine()).toMatch(/^\+OK/);
    expect(session.state).toBe('authorization');
  });

  it('closes the connection at the bad-command limit', async () => {
    const ctx = createTestContext({ limits: { pop3BadCommands: 3 } });
    const { client, session } = openSession(ctx);
    await client.readLine();
    client.send('FOO\r\nBAR\r\nBAZ\r\nCAPA\r\n');
    expect(await client.readLine()).toBe('-ERR Unknown command');
    expect(await client.readLine()).toBe('-ERR Unknown command');
    expect(await client.readLine()).toBe('-ERR Too many bad commands, closing connection');
    expect(await client.readLine()).toBeNull();
    await session.closed;
  });

  it('closes the connection at the third failed login, counting failures apart from bad commands', async () => {
    const ctx = createTestContext({ users: { 'ann@example.test': 'right' }, limits: { pop3BadCommands: 2, authFailureDelayMs: 1 } });
    const { client } = openSession(ctx);
    await client.readLine();
    client.send('USER ann@example.test\r\nPASS wrong\r\n'.repeat(3));
    expect(await client.readLine()).toMatch(/^\+OK/);
    expect(await client.readLine()).toBe('-ERR [AUTH] Authentication failed');
    expect(await client.readLine()).toMatch(/^\+OK/);
    expect(await client.readLine()).toBe('-ERR [AUTH] Authentication failed');
    expect(await client.readLine()).toMatch(/^\+OK/);
    expect(await client.readLine()).toBe('-ERR [AUTH] Too many failed authentications, closing connection');
    await client.closed();
  });

  it('closes an idle connection', async () => {
    const ctx = createTestContext({ limits: { pop3IdleMs: 30 } });
    const { client, session } = openSession(ctx);
    await client.readLine();
    expect(await client.readLine()).toBe('-ERR Idle timeout, closing connection');
    await session.closed;
  });

  it('answers -ERR [SYS/TEMP] when a handler throws, and the session survives', async () => {
    const ctx = createTestContext();
    ctx.store.ensureMailbox = () => {
      throw new Error('boom');
    };
    const { client, session } = openSession(ctx);
    await client.readLine();
    client.send('USER ann@example.test\r\nPASS x\r\nCAPA\r\n');
    await client.readLine();
    expect(await client.readLine()).toBe('-ERR [SYS/TEMP] Internal server error');
    expect(await client.readLine()).toBe('+OK Capability list follows');
    expect(session.state).toBe('authorization');
  });

  it('answers pipelined commands in order', async () => {
    const ctx = createTestContext();
    seedMrose(ctx);
    const { client } = openSession(ctx);
    await client.readLine();
    client.send('USER mrose@example.test\r\nPASS x\r\nSTAT\r\nRETR 2\r\nLIST 1\r\nDELE 2\r\nSTAT\r\n');
    expect(await client.readLine()).toMatch(/^\+OK Send PASS/);
    expect(await client.readLine()).toMatch(/^\+OK mrose/);
    expect(await client.readLine()).toBe('+OK 2 143');
    expect(await client.readLine()).toBe('+OK 41 octets');
    expect((await client.readMultiline()).toString()).toBe(message2.toString() + '\r\n');
    expect(await client.readLine()).toBe('+OK 1 102');
    expect(await client.readLine()).toBe('+OK Message 2 deleted');
    expect(await client.readLine()).toBe('+OK 1 102');
  });

  it('checks passwords against --users, for USER/PASS, AUTH PLAIN and APOP', async () => {
    const ctx = createTestContext({ users: { 'ann@example.test': 'pw' } });
    const { client } = openSession(ctx);
    const greeting = (await client.readLine()) as string;
    const stamp = /<[^>]+>/.exec(greeting)?.[0] as string;
    const { createHash } = await import('node:crypto');
    client.sendLine('APOP ann@example.test ' + createHash('md5').update(stamp + 'nope').digest('hex'));
    expect(await client.readLine()).toBe('-ERR [AUTH] Authentication failed');
    client.sendLine('AUTH PLAIN ' + Buffer.from('\0ann@example.test\0nope').toString('base64'));
    expect(await client.readLine()).toBe('-ERR [AUTH] Authentication failed');
    client.sendLine('APOP ann@example.test ' + createHash('md5').update(stamp + 'pw').digest('hex'));
    expect(await client.readLine()).toBe('+OK ann@example.test has 0 messages (0 octets)');
  });

  it('logs in with AUTH LOGIN step by step', async () => {
    const ctx = createTestContext();
    const { client } = openSession(ctx);
    await client.readLine();
    client.sendLine('AUTH LOGIN ' + Buffer.from('ann@example.test').toString('base64'));
    expect(await client.readLine()).toBe('+ UGFzc3dvcmQ6');
    client.sendLine(Buffer.from('pw').toString('base64'));
    expect(await client.readLine()).toMatch(/^\+OK ann@example.test has 0 messages/);
  });

  it('refuses bad base64 and garbage login names in AUTH', async () => {
    const ctx = createTestContext();
    const { client } = openSession(ctx);
    await client.readLine();
    client.sendLine('AUTH PLAIN !!!!');
    expect(await client.readLine()).toBe('-ERR Invalid base64 in authentication response');
    client.sendLine('AUTH PLAIN ' + Buffer.from('\0bad name\0pw').toString('base64'));
    expect(await client.readLine()).toBe('-ERR [AUTH] Invalid login name');
    client.sendLine('AUTH PLAIN ' + Buffer.from('only-two\0parts').toString('base64'));
    expect(await client.readLine()).toBe('-ERR [AUTH] Malformed PLAIN response');
  });
});

describe('POP3 session: transcript', () => {
  it('records commands and replies with secrets redacted and bodies omitted', async () => {
    const ctx = createTestContext();
    seedMrose(ctx);
    const { client, session } = openSession(ctx);
    await client.readLine();
    client.send('USER mrose@example.test\r\nPASS hunter2\r\nRETR 1\r\nQUIT\r\n');
    await client.closed();
    await session.closed;
    const record = ctx.sessions.get(session.id);
    const lines = record?.lines.map((l) => `${l.dir}: ${l.line}`) ?? [];
    expect(lines).toContain('C: PASS ****');
    expect(lines).toContain('S: <message 1: 102 octets>');
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines.join('\n')).not.toContain('leading dot');
    expect(record?.user).toBe('mrose@example.test');
    expect(record?.endedAt).toBeInstanceOf(Date);
  });

  it('redacts AUTH initial responses, continuation lines and APOP digests', async () => {
    const ctx = createTestContext();
    const { client, session } = openSession(ctx);
    await client.readLine();
    const secret = Buffer.from('\0ann@example.test\0topsecret').toString('base64');
    client.send(`AUTH PLAIN ${secret}\r\n`);
    await client.readLine();
    client.stream.destroy();
    await session.closed;
    const other = openSession(ctx);
    await other.client.readLine();
    other.client.send(`AUTH PLAIN\r\n${secret}\r\nQUIT\r\n`);
    await other.client.closed();
    const third = openSession(ctx);
    await third.client.readLine();
    third.client.send('APOP bob@example.test 0123456789abcdef0123456789abcdef\r\nQUIT\r\n');
    await third.client.closed();
    const all = ctx.sessions.list('pop3').flatMap((s) => s.lines.map((l) => l.line)).join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toContain('0123456789abcdef');
    expect(all).toContain('AUTH PLAIN ****');
    expect(all).toContain('APOP bob@example.test ****');
  });
});

describe('POP3 session: STLS', () => {
  let tls: TlsMaterial;
  beforeAll(async () => {
    tls = await loadTlsMaterial();
  });

  it('discards commands pipelined after STLS, then serves CAPA without STLS over TLS', async () => {
    const ctx = createTestContext({ tls });
    const secureContext = createSecureContext({ key: tls.key, cert: tls.cert });
    const { client, session } = openSession(ctx, { secureContext });
    await client.readLine();
    client.send('USER injected@example.test\r\nSTLS\r\nUSER evil@example.test\r\n');
    expect(await client.readLine()).toMatch(/^\+OK Send PASS/);
    expect(await client.readLine()).toBe('+OK Begin TLS negotiation');
    const secure = connect({ socket: client.stream, rejectUnauthorized: false });
    await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
    const tlsClient = new LineClient(secure);
    tlsClient.sendLine('PASS x');
    expect(await tlsClient.readLine()).toBe('-ERR USER first');
    tlsClient.sendLine('CAPA');
    expect(await tlsClient.readLine()).toBe('+OK Capability list follows');
    const capa = (await tlsClient.readMultiline()).toString();
    expect(capa).not.toContain('STLS');
    tlsClient.sendLine('STLS');
    expect(await tlsClient.readLine()).toBe('-ERR Already using TLS');
    expect(ctx.sessions.get(session.id)?.tls).toBe(true);
  });
});
