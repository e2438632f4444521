import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { SessionRecord } from '../../src/store/session-log.js';
import { RawImap } from './imap-raw-client.js';
import { rawConnect } from './pop3-helpers.js';

let sandbox: Sandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

async function start(): Promise<Sandbox> {
  sandbox = await createSandbox({ logLevel: 'silent', smtp: { port: false }, smtps: { port: false }, pop3s: { port: false }, imaps: { port: false }, http: { port: false } });
  await sandbox.deliver('Subject: keep me\r\n\r\nHello\r\n', { to: 'bob@example.test' });
  return sandbox;
}

function nextSessionEnd(sb: Sandbox, protocol: string): Promise<SessionRecord> {
  return new Promise((resolve) => {
    const off = sb.context.sessions.on('session.ended', (s) => {
      if (s.protocol !== protocol) return;
      off();
      resolve(s);
    });
  });
}

/** What a web page can do: a fetch() POST whose body is protocol commands (issue 10 finding 5). */
async function postTo(port: number, body: string): Promise<void> {
  await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } }).then(
    (res) => res.text(),
    () => undefined,
  );
}

describe('an HTTP request sent to the IMAP port', () => {
  it('is closed at its request line: LOGIN, STORE \\Deleted and EXPUNGE in the POST body never run', async () => {
    const sb = await start();
    const ended = nextSessionEnd(sb, 'imap');
    await postTo(sb.ports.imap!, 'a LOGIN bob@example.test x\r\nb SELECT INBOX\r\nc STORE 1:* +FLAGS (\\Deleted)\r\nd EXPUNGE\r\ne LOGOUT\r\n');
    const session = await ended;
    expect(session.user).toBeNull();
    expect(session.lines.filter((l) => l.dir === 'C').map((l) => l.line)).toEqual(['POST / HTTP/1.1']);
    expect(sb.messages().map((m) => m.subject)).toEqual(['keep me']);
  });

  it('answers at most 3 bad commands before login, then closes', async () => {
    const sb = await start();
    const c = await RawImap.connect(sb.ports.imap!);
    c.write('Host: 127.0.0.1\r\nAccept: */*\r\nOrigin: http://evil.test\r\na LOGIN bob@example.test x\r\n');
    await c.closed;
    expect(c.all.match(/^\S+ BAD /gm) ?? []).toHaveLength(3);
    expect(c.all).toMatch(/^\* BYE Too many bad commands/m);
    expect(c.all).not.toMatch(/^a OK/m);
  });
});

describe('an HTTP request sent to the POP3 port', () => {
  it('is closed at its request line: USER, PASS, DELE and QUIT in the POST body never run', async () => {
    const sb = await start();
    const ended = nextSessionEnd(sb, 'pop3');
    await postTo(sb.ports.pop3!, 'USER bob@example.test\r\nPASS x\r\nDELE 1\r\nQUIT\r\n');
    const session = await ended;
    expect(session.user).toBeNull();
    expect(session.lines.filter((l) => l.dir === 'C').map((l) => l.line)).toEqual(['POST / HTTP/1.1']);
    expect(sb.messages().map((m) => m.subject)).toEqual(['keep me']);
  });

  it('answers at most 3 bad commands before login, then closes', async () => {
    const sb = await start();
    const { client } = await rawConnect(sb.ports.pop3!);
    client.send('Host: 127.0.0.1\r\nAccept: */*\r\nOrigin: http://evil.test\r\nUSER bob@example.test\r\n');
    const replies: string[] = [];
    for (let line = await client.readLine(); line !== null; line = await client.readLine()) replies.push(line);
    expect(replies).toHaveLength(3);
    expect(replies.every((r) => r.startsWith('-ERR'))).toBe(true);
    expect(replies[2]).toMatch(/Too many bad commands/);
  });
});
