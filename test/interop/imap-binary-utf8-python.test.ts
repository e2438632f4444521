import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Sandbox } from '../../src/index.js';
import { imapSandbox } from '../protocol/imap-helpers.js';

/**
 * BINARY (RFC 3516) and UTF8=ACCEPT (RFC 6855) driven by Python's imaplib: a literal8 APPEND written on imaplib's
 * own connection (it has no literal8 call) read back with its FETCH, and `enable('UTF8=ACCEPT')`, after which imaplib
 * speaks UTF-8 folder names and refuses a search charset itself.
 */
const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
if (!python && process.env.CI) throw new Error('CI is set but python3 is missing');

let sandbox: Sandbox;
afterEach(async () => {
  await sandbox?.close();
});

function runPython(script: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(python!, ['-c', script], { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>);
    });
  });
}

const prelude = `
import imaplib, json, os, base64
out = {}
def ok(r):
    typ, data = r
    assert typ == 'OK', (typ, data)
    return data
m = imaplib.IMAP4('127.0.0.1', int(os.environ['PORT']))
ok(m.login('py-bin@example.test', 'pw'))
`;

describe.skipIf(!python)('BINARY and UTF8=ACCEPT with Python imaplib', () => {
  it('appends a literal8 with NUL bytes and fetches the part back exactly with BINARY.PEEK, BODY showing base64', async () => {
    sandbox = await imapSandbox();
    const script = `${prelude}
out['caps'] = [c for c in m.capabilities if c in ('BINARY', 'UTF8=ACCEPT')]
payload = bytes([0, 255, 13, 10, 0, 1, 2, 3])
msg = (b'Subject: py binary\\r\\nMIME-Version: 1.0\\r\\nContent-Type: application/octet-stream\\r\\n'
       b'Content-Transfer-Encoding: binary\\r\\n\\r\\n' + payload)
tag = m._new_tag()
m.send(tag + b' APPEND INBOX ~{%d+}\\r\\n' % len(msg) + msg + b'\\r\\n')
typ, data = m._command_complete('APPEND', tag)
out['append'] = typ
ok(m.select('INBOX'))
data = ok(m.fetch('1', '(BINARY.PEEK[1])'))
out['binary'] = list(data[0][1])
out['binaryHead'] = data[0][0].decode()
data = ok(m.fetch('1', '(BODY.PEEK[1])'))
out['body'] = data[0][1].decode()
try:
    m._simple_command('SEARCH', 'SUBJECT', '~{3}')
    out['outside'] = 'OK'
except imaplib.IMAP4.error as e:
    out['outside'] = str(e)
m.logout()
print(json.dumps(out))
`;
    const out = await runPython(script, { PORT: String(sandbox.ports.imap) });
    expect(out).toEqual({
      caps: ['BINARY', 'UTF8=ACCEPT'],
      append: 'OK',
      binary: [0, 255, 13, 10, 0, 1, 2, 3],
      binaryHead: '1 (BINARY[1] ~{8}',
      body: Buffer.from([0, 255, 13, 10, 0, 1, 2, 3]).toString('base64'),
      outside: expect.stringMatching(/^SEARCH command error: BAD .*literal8/),
    });
  });

  it('enables UTF8=ACCEPT, then creates, lists and selects folders by UTF-8 name and searches UTF-8 text', async () => {
    sandbox = await imapSandbox();
    await sandbox.deliver(Buffer.from('From: a@example.test\r\nSubject: Grüße\r\n\r\nx\r\n', 'utf8'), { to: 'py-bin@example.test' });
    const script = `${prelude}
ok(m.enable('UTF8=ACCEPT'))
out['enable'] = [d.decode() for d in m.untagged_responses.pop('ENABLED', [])]
ok(m.create('"Données/Été"'))
out['list'] = [d.decode('utf-8') for d in ok(m.list('""', '"Donn*"'))]
out['select'] = ok(m.select('"Données/Été"'))[0].decode()
ok(m.select('INBOX'))
out['search'] = ok(m.search(None, 'SUBJECT', '"grüße"'))[0].decode()
try:
    m.search('UTF-8', 'ALL')
    out['charset'] = 'accepted'
except imaplib.IMAP4.error:
    out['charset'] = 'refused by imaplib'
try:
    m._simple_command('SEARCH', 'CHARSET', 'UTF-8', 'ALL')
    out['charsetServer'] = 'OK'
except imaplib.IMAP4.error as e:
    out['charsetServer'] = str(e)
m.logout()
print(json.dumps(out))
`;
    const out = await runPython(script, { PORT: String(sandbox.ports.imap) });
    expect(out).toEqual({
      enable: ['UTF8=ACCEPT'],
      list: ['(\\HasChildren) "/" "Données"', '(\\HasNoChildren) "/" "Données/Été"'],
      select: '0',
      search: '1',
      charset: 'refused by imaplib',
      charsetServer: expect.stringMatching(/^SEARCH command error: BAD .*CHARSET/),
    });
    expect(sandbox.store.getFolder('py-bin@example.test', 'Données/Été')).toBeDefined();
  });
});
