import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Sandbox } from '../../src/index.js';
import { eml, imapSandbox } from '../protocol/imap-helpers.js';

const curl = existsSync('/usr/bin/curl') ? '/usr/bin/curl' : undefined;

let sandbox: Sandbox;
afterEach(async () => {
  await sandbox?.close();
});

function runCurl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(curl!, ['--silent', '--show-error', '--max-time', '15', ...args], { encoding: 'buffer', timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr.toString()}`));
      else resolve(stdout.toString('utf8'));
    });
  });
}

describe.skipIf(!curl)('IMAP with curl', () => {
  it('lists folders and fetches a message by UID, byte for byte, over STARTTLS', async () => {
    sandbox = await imapSandbox({ starttls: 'on' }); // STARTTLS on the plain port only with `starttls` (SPEC §3)
    const raw = eml('curl me', 'Hello from curl');
    await sandbox.deliver(raw, { to: 'curl@example.test' });
    const base = `imap://127.0.0.1:${sandbox.ports.imap}`;
    const auth = ['--user', 'curl@example.test:pw', '--ssl-reqd', '--insecure'];
    const list = await runCurl([...auth, `${base}/`]);
    expect(list).toContain('* LIST (\\HasNoChildren) "/" "INBOX"');
    expect(list).toContain('\\Sent');
    const body = await runCurl([...auth, `${base}/INBOX;UID=1`]);
    expect(body).toBe(raw);
    expect(sandbox.context.sessions.list('imap')[0].tls).toBe(true);
  });

  it('runs a custom SEARCH and fetches a section over imaps://', async () => {
    sandbox = await imapSandbox({ imaps: { port: 0 } });
    await sandbox.deliver(eml('one'), { to: 'curl@example.test' });
    await sandbox.deliver(eml('two', 'needle inside'), { to: 'curl@example.test' });
    const base = `imaps://127.0.0.1:${sandbox.ports.imaps}`;
    const auth = ['--user', 'curl@example.test:pw', '-k'];
    expect(await runCurl([...auth, '-X', 'SEARCH BODY needle', `${base}/INBOX`])).toBe('* SEARCH 2\r\n');
    expect(await runCurl([...auth, `${base}/INBOX;UID=2;SECTION=HEADER.FIELDS%20(SUBJECT)`])).toBe('Subject: two\r\n\r\n');
  });
});
