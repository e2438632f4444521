import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import fc from 'fast-check';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { Limits } from '../../src/config.js';
import { RawImap } from './imap-raw-client.js';

/**
 * Hostile input across all three listeners of one sandbox (SPEC §10): garbage where a TLS handshake belongs,
 * random and structured byte streams, connection floods. After each attack a well-behaved client must be served,
 * and nothing may reach the error log (an internal error is a bug even when it is contained).
 */

type Listener = 'smtp' | 'smtps' | 'pop3' | 'pop3s' | 'imap' | 'imaps';

let sandbox: Sandbox | undefined;
let errors: string[] = [];
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(limits: Partial<Limits> = {}): Promise<Sandbox> {
  sandbox = await createSandbox({
    smtp: { port: 0 },
    smtps: { port: 0 },
    pop3: { port: 0 },
    pop3s: { port: 0 },
    imap: { port: 0 },
    imaps: { port: 0 },
    http: { port: false },
    // The STARTTLS cases below need the upgrade offered on the plain ports.
    starttls: 'on',
    logLevel: 'silent',
    limits,
  });
  errors = [];
  // The protocols log contained bugs (SERVERBUG, 451, -ERR) through the context's logger.
  (sandbox.context.logger as { error: (msg: string, f?: unknown) => void }).error = (msg, f) => errors.push(`${msg} ${JSON.stringify(f, (_k, v: unknown) => (v instanceof Error ? v.stack : v))}`);
  return sandbox;
}

const isTls = (l: Listener) => l.endsWith('s');

/** A raw TCP connection; resolves once connected. */
function openTcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves when the socket is fully closed, whoever closed it. */
function closed(socket: Socket | TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.on('error', () => {});
    socket.once('close', () => resolve());
  });
}

/** The first chunk the server sends (the greeting), as text. */
function firstData(socket: Socket | TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (d: Buffer) => resolve(d.toString('latin1')));
    socket.once('error', reject);
  });
}

/** Sends `bytes` on a fresh connection, half-closes, and waits until the server has closed its side too. */
async function throwAt(port: number, bytes: Buffer): Promise<void> {
  const socket = await openTcp(port);
  socket.on('data', () => {});
  const done = closed(socket);
  socket.end(bytes);
  await done;
}

/** Proves a listener still serves: a real TLS or plain connection that gets the protocol's greeting. */
async function greets(port: number, tls: boolean): Promise<string> {
  const socket = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : netConnect({ port, host: '127.0.0.1' });
  const greeting = await firstData(socket);
  socket.destroy();
  return greeting;
}

const greetingPattern: Record<'smtp' | 'pop3' | 'imap', RegExp> = { smtp: /^220 /, pop3: /^\+OK/, imap: /^\* OK/ };
const protocolOf = (l: Listener) => l.replace(/s$/, '') as 'smtp' | 'pop3' | 'imap';

/** A TLS record header that claims a huge ClientHello, then stops: the handshake can never complete. */
const truncatedClientHello = Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00, 0xff, 0xfb, 0x03, 0x03]);

/** An SSLv2-style record header promising more bytes than follow. */
const sslv2Fragment = Buffer.from('\x80\x2e\x01\x03\x01', 'latin1');

/** A handshake record of length zero. */
const emptyHandshakeRecord = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]);

const listeners: Listener[] = ['smtp', 'smtps', 'pop3', 'pop3s', 'imap', 'imaps'];

describe('garbage where a TLS handshake belongs', () => {
  it.each(listeners.filter(isTls))('frees every slot on %s after 12 broken handshakes, with a limit of 3 connections', async (listener) => {
    const sb = await start({ maxConnections: 3 });
    const port = sb.ports[listener]!;
    const junk = [
      Buffer.from('EHLO plaintext.example\r\nUSER x\r\na LOGIN x y\r\n'),
      truncatedClientHello,
      Buffer.from([0x16, 0x03, 0x03, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00]),
      Buffer.alloc(4096, 0),
      sslv2Fragment,
      Buffer.alloc(0),
    ];
    for (let i = 0; i < 12; i++) await throwAt(port, junk[i % junk.length]);
    for (let i = 0; i < 3; i++) expect(await greets(port, true)).toMatch(greetingPattern[protocolOf(listener)]);
    expect(errors).toEqual([]);
  });

  const startTls: Record<'smtp' | 'pop3' | 'imap', string> = { smtp: 'EHLO x\r\nSTARTTLS\r\n', pop3: 'STLS\r\n', imap: 'a STARTTLS\r\n' };
  const upgradeReply: Record<'smtp' | 'pop3' | 'imap', RegExp> = { smtp: /^220 /m, pop3: /^\+OK Begin/m, imap: /^a OK/m };

  it.each(listeners.filter((l) => !isTls(l)))('drops a %s client that answers STARTTLS with garbage, and frees its slot', async (listener) => {
    const sb = await start({ maxConnections: 2 });
    const protocol = protocolOf(listener);
    const junks = [truncatedClientHello, Buffer.from('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n'), emptyHandshakeRecord, sslv2Fragment, Buffer.alloc(0)];
    for (const junk of junks) {
      const socket = await openTcp(sb.ports[listener]!);
      let seen = '';
      const upgraded = new Promise<void>((resolve) =>
        socket.on('data', (d: Buffer) => {
          seen += d.toString('latin1');
          // SMTP: the 220 greeting, then 250s for EHLO, then 220 for STARTTLS: wait for the second 220.
          if (protocol === 'smtp' ? (seen.match(/^220 /gm) ?? []).length >= 2 : upgradeReply[protocol].test(seen)) resolve();
        }),
      );
      socket.write(startTls[protocol]);
      await upgraded;
      const done = closed(socket);
      socket.end(junk);
      await done;
    }
    for (let i = 0; i < 2; i++) expect(await greets(sb.ports[listener]!, false)).toMatch(greetingPattern[protocol]);
    expect(errors).toEqual([]);
  });
});

describe('connection floods', () => {
  it.each(listeners)('refuses the connection past the limit on %s with the protocol answer, and serves again once one closes', async (listener) => {
    const sb = await start({ maxConnections: 4 });
    const port = sb.ports[listener]!;
    const tls = isTls(listener);
    const open: Array<Socket | TLSSocket> = [];
    for (let i = 0; i < 4; i++) {
      const socket = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : netConnect({ port, host: '127.0.0.1' });
      expect(await firstData(socket)).toMatch(greetingPattern[protocolOf(listener)]);
      open.push(socket);
    }
    const refused = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : netConnect({ port, host: '127.0.0.1' });
    const refusal = { smtp: /^421 4\.7\.0/, pop3: /^-ERR/, imap: /^\* BYE/ }[protocolOf(listener)];
    expect(await firstData(refused)).toMatch(refusal);
    await closed(refused);
    const first = open.shift()!;
    const gone = closed(first);
    first.destroy();
    await gone;
    // The server notices the close asynchronously; a new client may race it, so retry on a refusal, not on a timer.
    let greeting = '';
    for (let attempt = 0; attempt < 20 && !greetingPattern[protocolOf(listener)].test(greeting); attempt++) greeting = await greets(port, tls);
    expect(greeting).toMatch(greetingPattern[protocolOf(listener)]);
    for (const s of open) s.destroy();
    expect(errors).toEqual([]);
  });
});

/**
 * The POP3 listeners are half-open (allowHalfOpen); a client that closes before finishing a TLS handshake must still
 * free its connection slot at once (TCP health probes and port scanners do exactly this), as SMTP and IMAP do.
 */
describe('a POP3 client that closes mid-handshake', () => {
  it('frees the POP3S slot of a client that connects and closes without a TLS handshake', async () => {
    const sb = await start({ maxConnections: 1 });
    for (const junk of [Buffer.alloc(0), sslv2Fragment]) await throwAt(sb.ports.pop3s!, junk);
    expect(await greets(sb.ports.pop3s!, true)).toMatch(/^\+OK/);
  });

  it('frees the POP3 slot of a client that closes after STLS without a TLS handshake', async () => {
    const sb = await start({ maxConnections: 1 });
    for (const junk of ['', emptyHandshakeRecord.toString('latin1'), sslv2Fragment.toString('latin1')]) {
      expect(await converse(sb.ports.pop3!, 'STLS\r\n', /^\+OK Begin/m, { end: junk })).toMatch(/Begin TLS/);
    }
    expect(await greets(sb.ports.pop3!, false)).toMatch(/^\+OK/);
  });
});

/** Command words of each protocol mixed with hostile fragments: literals, NUL, bare CR/LF, long runs, TLS bytes. */
const fragments: Record<'smtp' | 'pop3' | 'imap', string[]> = {
  smtp: ['EHLO x\r\n', 'HELO \0\r\n', 'MAIL FROM:<a@example.test> SIZE=99999999999 BODY=8BITMIME SMTPUTF8\r\n', 'RCPT TO:<b@example.test> NOTIFY=NEVER\r\n', 'RCPT TO:<"\r\n', 'DATA\r\n', 'BDAT 10 LAST\r\n', '\r\n.\r\n', '\n.\n', '.\r\n', 'AUTH PLAIN\r\n', 'AUTH LOGIN =\r\n', 'AUTH CRAM-MD5\r\n', '*\r\n', 'AUTH XOAUTH2 AAAA\r\n', 'STARTTLS\r\n', 'VRFY <>\r\n', 'RSET\r\n', 'NOOP\r\n'],
  pop3: ['STLS\r\n', 'USER bob@example.test\r\n', 'PASS x\r\n', 'APOP bob@example.test 0123456789abcdef0123456789abcdef\r\n', 'AUTH PLAIN\r\n', 'AUTH LOGIN\r\n', '=\r\n', '*\r\n', 'RETR 1\r\n', 'TOP 1 -1\r\n', 'TOP 1 99999999999999999999\r\n', 'LIST 0\r\n', 'UIDL 4294967296\r\n', 'DELE 1\r\n', 'RSET\r\n', 'STAT\r\n', 'CAPA\r\n'],
  imap: ['a LOGIN bob@example.test x\r\n', 'b SELECT INBOX\r\n', 'c FETCH 1:* (BODY[] BODYSTRUCTURE ENVELOPE)\r\n', 'd UID FETCH 1:* BODY.PEEK[1.2.MIME]<0.4294967296>\r\n', 'e SEARCH OR (OR (OR', ' NOT NOT NOT', 'f APPEND INBOX {5}\r\n', 'g APPEND INBOX {99999999999+}\r\n', '{3}\r\n', '{0}\r\n', '{4294967296}\r\n', 'h IDLE\r\n', 'DONE\r\n', 'i AUTHENTICATE PLAIN\r\n', '*\r\n', 'j STORE 1:* +FLAGS (\\Seen \\Deleted)\r\n', 'k EXPUNGE\r\n', 'l MOVE 1:* Trash\r\n', 'm RENAME INBOX "a/../../b"\r\n', 'n LIST "" "%*%*%*%*%*%*%*%*%*%*%*%*"\r\n', 'o STARTTLS\r\n', 'p COMPRESS DEFLATE\r\n'],
};

function hostileStream(protocol: 'smtp' | 'pop3' | 'imap'): fc.Arbitrary<Buffer[]> {
  const piece = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...fragments[protocol]).map((s) => Buffer.from(s, 'latin1')) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 32 }).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\0', '\u202e', '\xff', '"', '\\', '(', ')').map((s) => Buffer.from(s, 'latin1')) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 70_000 }).map((n) => Buffer.alloc(n, 'A')) },
  );
  return fc.array(piece, { maxLength: 24 });
}

describe('random and structured byte streams', () => {
  it.each(listeners)('survives hostile streams on %s with no internal error, and serves real clients afterwards', async (listener) => {
    const sb = await start({ smtpBadCommands: 1000, pop3BadCommands: 1000, imapBadCommands: 1000, imapLiteralSize: 1024 });
    await sb.deliver('Subject: seeded\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b--\r\n', { to: 'bob@example.test' });
    const port = sb.ports[listener]!;
    const tls = isTls(listener);
    const streams = fc.sample(hostileStream(protocolOf(listener)), { numRuns: tls ? 15 : 40, seed: 20261126 + listeners.indexOf(listener) });
    for (const parts of streams) {
      const socket = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : netConnect({ port, host: '127.0.0.1' });
      await firstData(socket);
      const done = closed(socket);
      for (const p of parts) socket.write(p);
      // Half-close: the server reads everything sent, answers what it can, then closes its side.
      socket.end();
      await done;
    }
    expect(errors).toEqual([]);
    await expectServed(sb);
  }, 60_000);
});

describe('clients that reset the connection mid-response', () => {
  it('survives a TCP reset in the middle of a large RETR, FETCH and DATA, and keeps serving', async () => {
    const sb = await start();
    const big = `Subject: big\r\n\r\n${'0123456789abcdef'.repeat(4)}\r\n`.repeat(80_000);
    await sb.deliver(big, { to: 'bob@example.test' });
    const scripts: Array<[number, string, RegExp]> = [
      [sb.ports.pop3!, 'USER bob@example.test\r\nPASS x\r\nRETR 1\r\n', /^\+OK \d+ octets/m],
      [sb.ports.imap!, 'a LOGIN bob@example.test x\r\nb SELECT INBOX\r\nc FETCH 1 BODY[]\r\n', /BODY\[\] \{\d+\}/],
      [sb.ports.smtp!, `EHLO x\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n${big.slice(0, 1_000_000)}`, /^354 /m],
    ];
    for (const [port, script, started] of scripts) {
      const socket = await openTcp(port);
      let text = '';
      await new Promise<void>((resolve) => {
        socket.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          if (started.test(text)) resolve();
        });
        socket.write(script);
      });
      const done = closed(socket);
      socket.resetAndDestroy();
      await done;
    }
    await allSessionsEnded(sb);
    // The reset POP3 session gave up bob's maildrop lock (no `-ERR [IN-USE]`), and nothing half-stored arrived.
    expect(await converse(sb.ports.pop3!, 'USER bob@example.test\r\nPASS x\r\nSTAT\r\n', /^(\+OK 1 |-ERR)/m)).toMatch(/^\+OK 1 \d+\r\n/m);
    expect(sb.messages()).toHaveLength(1);
    expect(errors).toEqual([]);
    await expectServed(sb);
  });
});

describe('mail built to stall the event loop', () => {
  // Each of these blocked the whole process (every listener) for tens of seconds to hours, through a quadratic regex:
  // a header value with a long inner run of blanks, and a Content-Transfer-Encoding with one (MIME tree, used by
  // SEARCH, FETCH BODYSTRUCTURE and the query language), and a URL with a long inner run of trailing-punctuation characters (links, shown by GET /messages/:id).
  const run = 200_000;
  const hostile =
    `From: a@example.test\r\nTo: bob@example.test${' '.repeat(run)}x\r\nSubject: stall${'\t'.repeat(run)}y\r\n` +
    `Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit${' '.repeat(run)}x\r\n\r\n` +
    `https://a.example/${'.'.repeat(run)}x https://b.example/${';'.repeat(run)}y\r\n`;

  it('answers IMAP SEARCH and FETCH BODYSTRUCTURE, HTTP search and GET of the message in under two seconds each', async () => {
    const sb = await createSandbox({ imap: { port: 0 }, http: { port: 0 }, smtp: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imaps: { port: false }, logLevel: 'silent' });
    sandbox = sb;
    const stored = await sb.deliver(hostile, { to: 'bob@example.test' });
    const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const result = await fn();
      // Linear work on ~1 MB takes tens of milliseconds; quadratic took 30 s and more.
      expect(performance.now() - started, what).toBeLessThan(2000);
      return result;
    };
    const imap = await RawImap.connect(sb.ports.imap!);
    await imap.command('A', 'LOGIN bob@example.test x');
    await imap.command('B', 'SELECT INBOX');
    expect(await timed('IMAP SEARCH', () => imap.command('C', 'SEARCH BODY zzz', 10_000))).toMatch(/^C OK/m);
    expect(await timed('IMAP FETCH', () => imap.command('D', 'FETCH 1 (BODYSTRUCTURE ENVELOPE)', 10_000))).toMatch(/^D OK/m);
    imap.end();
    const search = await timed('HTTP search', () => fetch(`${sb.url}/api/v1/messages?query=zzz`));
    expect(search.status).toBe(200);
    const details = await timed('HTTP GET message', () => fetch(`${sb.url}/api/v1/messages/${stored.id}`));
    const body = (await details.json()) as { links: string[] };
    // Only the first 256 KB are scanned for links, so the second URL is cut short; the first is found whole.
    expect(body.links[0]).toBe(`https://a.example/${'.'.repeat(run)}x`);
  });
});

/** Resolves once every recorded protocol session has ended (the server has processed every close). */
function allSessionsEnded(sb: Sandbox): Promise<void> {
  const open = () => sb.context.sessions.list().some((s) => !s.endedAt);
  return new Promise((resolve) => {
    if (!open()) return resolve();
    const off = sb.context.sessions.on('session.ended', () => {
      if (open()) return;
      off();
      resolve();
    });
  });
}

/** Every protocol still works end to end: SMTP delivers, IMAP and POP3 log in and see the message. */
async function expectServed(sb: Sandbox): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sb.ports.smtp!, secure: false, ignoreTLS: true });
  const arrived = sb.waitForMessage({ subject: 'after the storm' }, { timeout: 5000 });
  await transport.sendMail({ from: 'a@example.test', to: 'carol@example.test', subject: 'after the storm', text: 'still here' });
  transport.close();
  await arrived;
  const imap = await RawImap.connect(sb.ports.imap!);
  expect(await imap.command('A', 'LOGIN carol@example.test x')).toMatch(/^A OK/m);
  expect(await imap.command('B', 'SELECT INBOX')).toMatch(/\* 1 EXISTS/);
  imap.end();
  expect(await converse(sb.ports.pop3!, 'USER carol@example.test\r\nPASS x\r\nSTAT\r\nQUIT\r\n', /^\+OK 1 \d+\r\n/m)).toMatch(/^\+OK 1 /m);
}

/** Writes a script on a fresh plain connection and resolves with what came back once `until` matches it. */
async function converse(port: number, script: string, until: RegExp, options: { end?: string } = {}): Promise<string> {
  const socket = await openTcp(port);
  let text = '';
  const reply = new Promise<string>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (until.test(text)) resolve(text);
    });
    socket.once('close', () => reject(new Error(`closed before ${until}: ${text}`)));
  });
  socket.write(script);
  try {
    return await reply;
  } finally {
    // `end`: send these last bytes, close our side and wait until the server has closed its side too.
    if (options.end !== undefined) {
      const done = closed(socket);
      socket.end(Buffer.from(options.end, 'latin1'));
      await done;
    } else socket.destroy();
  }
}
