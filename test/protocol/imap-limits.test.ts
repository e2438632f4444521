import { afterEach, describe, expect, it } from 'vitest';
import { connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { Limits } from '../../src/config.js';
import { RawImap } from './imap-raw-client.js';

let sandbox: Sandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

async function start(limits: Partial<Limits> = {}, maxMessageSize?: number, starttls: 'off' | 'on' = 'off'): Promise<Sandbox> {
  sandbox = await createSandbox({
    starttls,
    smtp: { port: false },
    submission: { port: false },
    smtps: { port: false },
    pop3: { port: false },
    pop3s: { port: false },
    imaps: { port: false },
    http: { port: false },
    logLevel: 'silent',
    limits,
    maxMessageSize,
  });
  return sandbox;
}

async function loggedIn(sb: Sandbox): Promise<RawImap> {
  const c = await RawImap.connect(sb.ports.imap!);
  expect(await c.command('L', 'LOGIN bob@example.test secret')).toMatch(/^L OK/m);
  return c;
}

describe('IMAP literals', () => {
  it('refuses a {4294967295} APPEND literal with NO [TOOBIG] and never asks for it', async () => {
    const c = await loggedIn(await start());
    c.write('A1 APPEND INBOX {4294967295}\r\n');
    const reply = await c.until(/^A1 .*\r\n/m);
    expect(reply).toMatch(/^A1 NO \[TOOBIG\]/m);
    expect(reply).not.toMatch(/^\+/m);
    expect(await c.command('A2', 'NOOP')).toMatch(/^A2 OK/m);
    c.end();
  });

  it('refuses a non-APPEND literal over imapLiteralSize with NO [TOOBIG]', async () => {
    const c = await RawImap.connect((await start({ imapLiteralSize: 100 })).ports.imap!);
    c.write('A1 LOGIN {101}\r\n');
    expect(await c.until(/^A1 .*\r\n/m)).toMatch(/^A1 NO \[TOOBIG\]/m);
    expect(await c.command('A2', 'NOOP')).toMatch(/^A2 OK/m);
    c.end();
  });

  it('closes with BYE on an oversized non-synchronizing literal', async () => {
    const c = await RawImap.connect((await start({ imapLiteralSize: 100 })).ports.imap!);
    c.write('A1 LOGIN {5000+}\r\n' + 'x'.repeat(200));
    expect(await c.until(/^\* BYE .*\r\n/m)).toMatch(/BYE/);
    await c.closed;
  });

  it('accepts a synchronizing literal after the continuation and a LITERAL+ one without', async () => {
    const c = await RawImap.connect((await start()).ports.imap!);
    c.write('A1 LOGIN {16}\r\n');
    await c.until(/^\+ .*\r\n/m);
    c.write('bob@example.test {3+}\r\nabc\r\n');
    expect(await c.until(/^A1 .*\r\n/m)).toMatch(/^A1 OK/m);
    c.end();
  });

  it('logs out a client whose announced literal never arrives once the idle limit passes', async () => {
    const c = await loggedIn(await start({ imapIdleMs: 300 }));
    c.write('A1 APPEND INBOX {100}\r\n');
    await c.until(/^\+ .*\r\n/m);
    c.write('only part of it');
    expect(await c.until(/^\* BYE .*\r\n/m, 5000)).toMatch(/idle/i);
    await c.closed;
  });

  it('logs out a client that stays in IDLE past the idle limit', async () => {
    const c = await loggedIn(await start({ imapIdleMs: 300 }));
    c.write('A1 IDLE\r\n');
    await c.until(/^\+ idling\r\n/m);
    expect(await c.until(/^\* BYE .*\r\n/m, 5000)).toMatch(/idle/i);
    await c.closed;
  });

  it('rejects APPEND over the message size limit with NO [TOOBIG] and stores nothing', async () => {
    const sb = await start({}, 2048);
    const c = await loggedIn(sb);
    c.write('A1 APPEND INBOX {4096}\r\n');
    expect(await c.until(/^A1 .*\r\n/m)).toMatch(/^A1 NO \[TOOBIG\]/m);
    expect(sb.store.size).toBe(0);
    c.end();
  });
});

describe('IMAP hostile syntax', () => {
  it('answers BAD to deeply nested lists and keeps the session', async () => {
    const c = await loggedIn(await start());
    const nested = '('.repeat(5000) + ')'.repeat(5000);
    expect(await c.command('A1', `ID ${nested}`)).toMatch(/^A1 BAD/m);
    expect(await c.command('A2', 'NOOP')).toMatch(/^A2 OK/m);
    c.end();
  });

  it('answers BAD to deeply nested search keys', async () => {
    const c = await loggedIn(await start());
    await c.command('S', 'SELECT INBOX');
    expect(await c.command('A1', `SEARCH ${'NOT '.repeat(3000)}ALL`)).toMatch(/^A1 BAD/m);
    expect(await c.command('A2', `SEARCH ${'('.repeat(20)}ALL${')'.repeat(20)}`)).toMatch(/^A2 OK/m);
    c.end();
  });

  it('answers 1:4294967295 and * on an empty folder with nothing but OK', async () => {
    const c = await loggedIn(await start());
    await c.command('S', 'SELECT INBOX');
    for (const [tag, cmd] of [['A1', 'FETCH 1:4294967295 FLAGS'], ['A2', 'FETCH * FLAGS'], ['A3', 'UID FETCH 1:4294967295 FLAGS'], ['A4', 'UID SEARCH UID *'], ['A5', 'STORE 1:* +FLAGS (\\Seen)']]) {
      const reply = await c.command(tag, cmd);
      expect(reply).toMatch(new RegExp(`^${tag} OK`, 'm'));
      expect(reply).not.toMatch(/FETCH \(/);
    }
    expect(await c.command('A6', 'FETCH 4294967296 FLAGS')).toMatch(/^A6 BAD/m);
    c.end();
  });

  it('answers commands in the wrong state with BAD', async () => {
    const c = await RawImap.connect((await start()).ports.imap!);
    expect(await c.command('A1', 'SELECT INBOX')).toMatch(/^A1 BAD/m);
    await c.command('L', 'LOGIN bob@example.test x');
    expect(await c.command('A2', 'FETCH 1 FLAGS')).toMatch(/^A2 BAD/m);
    expect(await c.command('A3', 'LOGIN bob@example.test x')).toMatch(/^A3 BAD/m);
    c.end();
  });

  it('says BYE after too many bad commands', async () => {
    // After login: before it, the limit is preLoginBadCommands (3).
    const c = await loggedIn(await start({ imapBadCommands: 5 }));
    for (let i = 1; i < 5; i++) expect(await c.command(`A${i}`, 'FROBNICATE')).toMatch(new RegExp(`^A${i} BAD`, 'm'));
    c.write('A5 FROBNICATE\r\n');
    expect(await c.until(/^\* BYE .*\r\n/m)).toMatch(/bad commands/i);
    await c.closed;
  });

  it('answers BAD to a line over the limit and goes on', async () => {
    const c = await RawImap.connect((await start({ imapLineLength: 1000 })).ports.imap!);
    expect(await c.command('A1', `NOOP ${'x'.repeat(5000)}`)).toMatch(/^A1 BAD .*too long/m);
    expect(await c.command('A2', 'NOOP')).toMatch(/^A2 OK/m);
    c.end();
  });

  it('refuses connections over the limit with BYE', async () => {
    const sb = await start({ maxConnections: 2 });
    const a = await RawImap.connect(sb.ports.imap!);
    const b = await RawImap.connect(sb.ports.imap!);
    const c = await RawImap.connect(sb.ports.imap!);
    expect(c.all).toMatch(/^\* BYE/);
    a.end();
    b.end();
  });

  it('answers NO [SERVERBUG] when a handler throws, and the session survives', async () => {
    const sb = await start();
    await sb.deliver('Subject: x\r\n\r\nbody\r\n', { to: 'bob@example.test' });
    const c = await loggedIn(sb);
    await c.command('S', 'SELECT INBOX');
    sb.store.setFlags = () => {
      throw new Error('boom');
    };
    expect(await c.command('A1', 'STORE 1 +FLAGS (\\Flagged)')).toMatch(/^A1 NO \[SERVERBUG\]/m);
    expect(await c.command('A2', 'NOOP')).toMatch(/^A2 OK/m);
    c.end();
  });

  it('quotes folder names with quotes and backslashes in LIST', async () => {
    const c = await loggedIn(await start());
    expect(await c.command('A1', 'CREATE "we\\"ird\\\\name"')).toMatch(/^A1 OK/m);
    expect(await c.command('A2', 'LIST "" "we*"')).toContain('"we\\"ird\\\\name"');
    c.end();
  });
});

describe('IMAP under arbitrary bytes', () => {
  it('answers every line of random bytes with a tagged or untagged response, and keeps serving others', async () => {
    const sb = await start({ imapBadCommands: 1000 });
    const samples = fc.sample(
      fc.array(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.constantFrom(...['(', ')', '"', '\\', '[', ']', 'BODY[', 'BODY.PEEK[1.', '<0.5>', '* ', '1:*', 'UID ', 'FETCH 1:* ', 'SEARCH ', 'STORE 2 +FLAGS ', 'OR ', 'NOT ', 'HEADER.FIELDS ', 'COPY 1 ', 'MOVE 5 ', 'LIST ', 'STATUS ', 'EXPUNGE', 'Trash'].map((t) => Buffer.from(t)))), { minLength: 1, maxLength: 12 }),
      { numRuns: 300, seed: 42 },
    );
    for (let i = 0; i < 5; i++) await sb.deliver(`Subject: m${i}\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\npart\r\n--b--\r\n`, { to: 'bob@example.test' });
    const c = await loggedIn(sb);
    await c.command('S', 'SELECT INBOX');
    for (const [i, parts] of samples.entries()) {
      // CR/LF/braces removed so each sample is one command that can't start a literal or span lines.
      const line = Buffer.concat(parts).toString('latin1').replace(/[\r\n{}]/g, '');
      c.write(Buffer.from(`F${i} ${line}\r\n`, 'latin1'));
      await c.until(new RegExp(`^(F${i} (OK|NO|BAD)|\\* BAD)[^\r\n]*\r\n`, 'm'));
    }
    expect(await c.command('Z1', 'NOOP')).toMatch(/^Z1 OK/m);
    expect(c.all).not.toContain('SERVERBUG');
    const other = await loggedIn(sb);
    expect(await other.command('Z2', 'NOOP')).toMatch(/^Z2 OK/m);
    c.end();
    other.end();
  });
});

describe('IMAP under arbitrary byte streams', () => {
  it('never hits an internal error on random streams, and serves a new client afterwards', async () => {
    const sb = await start({ imapLiteralSize: 64 });
    const errors: string[] = [];
    (sb.context.logger as { error: (msg: string, f?: unknown) => void }).error = (msg, f) => errors.push(`${msg} ${String((f as { error?: Error })?.error?.stack ?? '')}`);
    const streams = fc.sample(fc.array(fc.oneof(fc.uint8Array({ maxLength: 30 }), fc.constantFrom(...['\r\n', 'a LOGIN x y\r\n', 'b SELECT INBOX\r\n', '{3}\r\n', '{2+}\r\n', 'c FETCH 1:* (BODY[] ENVELOPE)\r\n', 'DONE\r\n', 'd IDLE\r\n'].map((t) => Buffer.from(t)))), { maxLength: 30 }), { numRuns: 60, seed: 7 });
    await sb.deliver('Subject: hi\r\n\r\nbody\r\n', { to: 'x' });
    for (const parts of streams) {
      const c = await RawImap.connect(sb.ports.imap!);
      const ended = new Promise<void>((resolve) => {
        const id = sb.context.sessions.list('imap')[0].id;
        const off = sb.context.sessions.on('session.ended', (s) => s.id === id && (off(), resolve()));
      });
      for (const p of parts) c.write(Buffer.from(p));
      // Half-close: the server reads everything sent, then ends the session.
      c.socket.end();
      await ended;
    }
    const fresh = await loggedIn(sb);
    expect(await fresh.command('Z', 'NOOP')).toMatch(/^Z OK/m);
    fresh.end();
    expect(errors).toEqual([]);
  });
});

describe('IMAP STARTTLS', () => {
  it('discards plaintext pipelined after STARTTLS', async () => {
    const sb = await start({}, undefined, 'on');
    const plain = await RawImap.connect(sb.ports.imap!);
    plain.write('A1 STARTTLS\r\nA2 LOGIN bob@example.test x\r\n');
    await plain.until(/^A1 OK.*\r\n/m);
    plain.socket.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain.socket as never, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const c = new RawImap(secure);
    const caps = await c.command('A3', 'CAPABILITY');
    expect(caps).toContain('AUTH=PLAIN');
    expect(caps).not.toContain('STARTTLS');
    expect(c.all).not.toMatch(/A2/);
    expect(sb.context.sessions.list('imap')[0].user).toBeNull();
    c.end();
  });
});
