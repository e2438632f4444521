import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { eml, imapSandbox } from '../protocol/imap-helpers.js';
import { python, runPython } from './python-runner.js';

let sandbox: Sandbox;
afterEach(async () => {
  await sandbox?.close();
});

const prelude = `
import imaplib, json, os, ssl
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out = {}
def ok(r):
    typ, data = r
    assert typ == 'OK', (typ, data)
    return data
`;

describe.skipIf(!python)('IMAP with Python imaplib', () => {
  it('logs in after STARTTLS and runs SELECT, FETCH, SEARCH, STORE, COPY, EXPUNGE, APPEND and UID commands', async () => {
    sandbox = await imapSandbox({ starttls: 'on' }); // STARTTLS on the plain port only with `starttls` (SPEC §3)
    for (const s of ['first', 'second', 'third']) await sandbox.deliver(eml(s, `Body ${s}`), { to: 'py@example.test' });
    const script = `${prelude}
m = imaplib.IMAP4('127.0.0.1', int(os.environ['PORT']))
ok(m.starttls(ssl_context=ctx))
ok(m.login('py@example.test', 'pw'))
out['exists'] = int(ok(m.select('INBOX'))[0])
typ, data = m.fetch('2', '(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
out['subject'] = data[0][1].decode().strip()
out['search'] = ok(m.search(None, 'SUBJECT', 'third'))[0].decode()
out['uidsearch'] = ok(m.uid('SEARCH', None, 'ALL'))[0].decode()
ok(m.store('1', '+FLAGS', '(\\\\Seen)'))
ok(m.copy('1:2', 'Trash'))
ok(m.uid('STORE', '3', '+FLAGS', '(\\\\Deleted)'))
out['expunged'] = [d.decode() for d in ok(m.expunge())]
out['appended'] = ok(m.append('INBOX', '(\\\\Flagged)', imaplib.Time2Internaldate(0), b'Subject: from python\\r\\n\\r\\nhi\\r\\n'))[0].decode()
typ, data = m.uid('FETCH', '1', '(FLAGS BODY[])')
out['body'] = data[0][1].decode()
out['status'] = ok(m.status('Trash', '(MESSAGES)'))[0].decode()
m.logout()
print(json.dumps(out))
`;
    const out = await runPython(script, { PORT: String(sandbox.ports.imap) });
    expect(out).toMatchObject({ exists: 3, subject: 'Subject: second', search: '3', uidsearch: '1 2 3', expunged: ['3'], status: '"Trash" (MESSAGES 2)' });
    expect(out.appended).toMatch(/^\[APPENDUID \d+ 4\]/);
    expect(out.body).toContain('Body first');
    const inbox = sandbox.store.getFolder('py@example.test', 'INBOX')!;
    expect(inbox.placements.map((p) => p.message.summary.subject)).toEqual(['first', 'second', 'from python']);
    expect(sandbox.messages({ query: 'subject:first' })[0].seen).toBe(true);
    expect(sandbox.context.sessions.list('imap')[0].tls).toBe(true);
  });

  it('works over IMAP4_SSL and a literal login', async () => {
    sandbox = await imapSandbox({ imaps: { port: 0 } });
    await sandbox.deliver(eml('tls'), { to: 'py@example.test' });
    const script = `${prelude}
m = imaplib.IMAP4_SSL('127.0.0.1', int(os.environ['PORT']), ssl_context=ctx)
m.literal = b'pw with "quotes"'
ok(m._simple_command('LOGIN', 'py@example.test'))
m.state = 'AUTH'
ok(m.select('INBOX', readonly=True))
typ, data = m.fetch('1', '(ENVELOPE)')
out['envelope'] = data[0].decode()
m.logout()
print(json.dumps(out))
`;
    const out = await runPython(script, { PORT: String(sandbox.ports.imaps) });
    expect(out.envelope).toContain('"tls"');
  });
});
