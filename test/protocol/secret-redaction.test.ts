import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import type { SessionRecord } from '../../src/store/session-log.js';
import { RawImap } from './imap-raw-client.js';
import { RawSmtpClient } from './smtp-helpers.js';
import { rawConnect } from './pop3-helpers.js';

let sandbox: Sandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

const secret = 'hunter2secret';
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function start(): Promise<Sandbox> {
  // Generous limits, so every refused line below is answered and recorded.
  sandbox = await createSandbox({ logLevel: 'silent', http: { port: false }, users: { 'bob@example.test': 'right' }, limits: { authFailureDelayMs: 1, authFailures: 100, preLoginBadCommands: 100 } });
  return sandbox;
}

function transcriptText(sessions: SessionRecord[]): string {
  return sessions.flatMap((s) => s.lines.map((l) => l.line)).join('\n');
}

function expectNoSecret(sb: Sandbox, protocol: 'smtp' | 'pop3' | 'imap'): void {
  const text = transcriptText(sb.context.sessions.list(protocol));
  expect(text.length).toBeGreaterThan(0);
  expect(text).not.toContain(secret);
  expect(text).not.toContain(b64(`\0bob@example.test\0${secret}`));
  expect(text).not.toContain(b64(secret));
}

describe('login secrets in transcripts', () => {
  // Issue 10 finding 11: `PASS secret\t` was refused and the transcript showed the password.
  it('are redacted in POP3 PASS, APOP and AUTH lines, refused ones included', async () => {
    const sb = await start();
    const { client, socket } = await rawConnect(sb.ports.pop3!);
    const lines = [
      'USER bob@example.test', `PASS ${secret}\t`,
      'USER bob@example.test', `pass ${secret}\x00`,
      'USER bob@example.test', `PASS ${secret}`,
      `APOP bob@example.test ${secret}\x01`,
      `AUTH PLAIN ${b64(`\0bob@example.test\0${secret}`)}\t`,
      `AUTH PLAIN ${b64(`\0bob@example.test\0${secret}`)}`,
      'AUTH LOGIN', b64('bob@example.test'), b64(secret),
      'QUIT',
    ];
    for (const line of lines) {
      client.sendLine(line);
      await client.readLine();
    }
    socket.destroy();
    expectNoSecret(sb, 'pop3');
  });

  it('are redacted in IMAP LOGIN and AUTHENTICATE lines, malformed ones included', async () => {
    const sb = await start();
    const c = await RawImap.connect(sb.ports.imap!);
    for (const line of [
      `a1 LOGIN bob@example.test ${secret}`,
      ` a2 LOGIN bob@example.test ${secret}`,
      `a3\tLOGIN bob@example.test ${secret}`,
      `a4 LOGIN bob@example.test "${secret}`,
      `a5 LOGIN bob@example.test ${secret} extra`,
      `a6 AUTHENTICATE PLAIN ${b64(`\0bob@example.test\0${secret}`)}`,
    ]) {
      c.write(line + '\r\n');
      await c.until(/^\S+ (OK|NO|BAD)[^\r\n]*\r\n/m);
    }
    c.write('a7 AUTHENTICATE PLAIN\r\n');
    await c.until(/^\+.*\r\n/m);
    c.write(b64(`\0bob@example.test\0${secret}`) + '\r\n');
    await c.until(/^a7 .*\r\n/m);
    c.end();
    expectNoSecret(sb, 'imap');
  });

  it('are redacted in SMTP AUTH lines and continuations, refused ones included', async () => {
    const sb = await start();
    const smtp = await RawSmtpClient.connect(sb.ports.smtp!);
    await smtp.hello();
    await smtp.command(`AUTH PLAIN ${b64(`\0bob@example.test\0${secret}`)}`);
    await smtp.command(`AUTH\tPLAIN ${b64(`\0bob@example.test\0${secret}`)}`);
    await smtp.command('AUTH LOGIN');
    await smtp.command(b64('bob@example.test'));
    await smtp.command(b64(secret));
    smtp.destroy();
    await smtp.closed;
    expectNoSecret(sb, 'smtp');
  });
});
