import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { imapSandbox } from '../protocol/imap-helpers.js';
import { python, runPython } from './python-runner.js';

/** Issue 18 extensions driven by Python's imaplib: SORT, THREAD, ESEARCH (and LIST-STATUS, COMPRESS below). */

let sandbox: Sandbox;
afterEach(async () => {
  await sandbox?.close();
});

const prelude = `
import imaplib, json, os, ssl, zlib
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out = {}
def ok(r):
    typ, data = r
    assert typ == 'OK', (typ, data)
    return data
`;

function deliverThread(user: string): void {
  const msgs = [
    'Subject: Plans\r\nMessage-ID: <p1@x>\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000',
    'Subject: Re: Plans\r\nMessage-ID: <p2@x>\r\nReferences: <p1@x>\r\nDate: Mon, 01 Jan 2024 11:00:00 +0000',
    'Subject: Another\r\nMessage-ID: <p3@x>\r\nDate: Mon, 01 Jan 2024 09:00:00 +0000',
    'Subject: Re: Plans\r\nMessage-ID: <p4@x>\r\nIn-Reply-To: <p1@x>\r\nDate: Mon, 01 Jan 2024 12:00:00 +0000',
  ];
  for (const head of msgs) {
    sandbox.store.deliver({ raw: Buffer.from(`From: a@example.test\r\n${head}\r\n\r\nbody\r\n`), envelope: { mailFrom: '', rcptTo: [user] }, source: 'api', targets: [{ mailbox: user }] });
  }
}

describe.skipIf(!python)('IMAP extensions with Python imaplib', () => {
  it('sorts, threads and runs an extended search', async () => {
    sandbox = await imapSandbox();
    deliverThread('py@example.test');
    const script = `${prelude}
m = imaplib.IMAP4('127.0.0.1', int(os.environ['PORT']))
ok(m.login('py@example.test', 'pw'))
ok(m.select('INBOX'))
out['sort'] = ok(m.sort('(REVERSE DATE)', 'UTF-8', 'ALL'))[0].decode()
out['uidsort'] = ok(m.uid('SORT', '(SUBJECT DATE)', 'UTF-8', 'ALL'))[0].decode()
out['refs'] = ok(m.thread('REFERENCES', 'UTF-8', 'ALL'))[0].decode()
out['subj'] = ok(m.thread('ORDEREDSUBJECT', 'UTF-8', 'ALL'))[0].decode()
typ, data = m._simple_command('UID', 'SEARCH', 'RETURN', '(MIN MAX COUNT)', 'SUBJECT', 'plans')
assert typ == 'OK', (typ, data)
out['esearch'] = m.untagged_responses.pop('ESEARCH')[0].decode()
m.logout()
print(json.dumps(out))
`;
    const out = await runPython(script, { PORT: String(sandbox.ports.imap) });
    expect(out).toEqual({
      sort: '4 2 1 3',
      uidsort: '3 1 2 4',
      refs: '(3)(1 (2)(4))',
      subj: '(3)(1 (2)(4))',
      esearch: expect.stringMatching(/^\(TAG "\w+"\) UID MIN 1 MAX 4 COUNT 3$/),
    });
  });

  it('sees LIST-EXTENDED and LIST-STATUS advertised, a deleted subscribed folder as \\NonExistent, and STATUS in LIST', async () => {
    sandbox = await imapSandbox();
    deliverThread('lx@example.test');
    const script = `${prelude}
m = imaplib.IMAP4('127.0.0.1', int(os.environ['PORT']))
ok(m.login('lx@example.test', 'pw'))
out['caps'] = sorted(c for c in m.capabilities if c.startswith('LIST-'))
ok(m.create('Work/Old'))
ok(m.create('Work/Kept'))
ok(m.subscribe('Work/Old'))
ok(m.subscribe('Work/Kept'))
ok(m.delete('Work/Old'))
typ, data = m._simple_command('LIST', '(SUBSCRIBED)', '""', 'Work/*')
assert typ == 'OK', (typ, data)
out['subscribed'] = sorted(x.decode() for x in m.untagged_responses.pop('LIST'))
typ, data = m._simple_command('LIST', '""', 'INBOX', 'RETURN', '(STATUS (MESSAGES UNSEEN))')
assert typ == 'OK', (typ, data)
out['list'] = [x.decode() for x in m.untagged_responses.pop('LIST')]
out['status'] = [x.decode() for x in m.untagged_responses.pop('STATUS')]
try:
    m._simple_command('LIST', '(BOGUS)', '""', '*')
    out['bad'] = 'OK'
except imaplib.IMAP4.error as e:
    out['bad'] = str(e)
m.logout()
print(json.dumps(out))
`;
    const out = await runPython(script, { PORT: String(sandbox.ports.imap) });
    expect(out).toEqual({
      caps: ['LIST-EXTENDED', 'LIST-STATUS'],
      subscribed: ['(\\HasNoChildren \\Subscribed) "/" "Work/Kept"', '(\\NonExistent \\HasNoChildren \\Subscribed) "/" "Work/Old"'],
      list: ['(\\HasNoChildren) "/" "INBOX"'],
      status: ['"INBOX" (MESSAGES 4 UNSEEN 4)'],
      bad: expect.stringContaining('BAD'),
    });
  });

  it('runs a COMPRESS=DEFLATE session over TLS with zlib raw deflate (wbits=-15)', async () => {
    sandbox = await imapSandbox({ imaps: { port: 0 } });
    sandbox.store.deliver({ raw: Buffer.from(`Subject: zipped\r\n\r\n${'squeeze me '.repeat(3000)}\r\n`), envelope: { mailFrom: '', rcptTo: ['py@example.test'] }, source: 'api', targets: [{ mailbox: 'py@example.test' }] });
    const script = `${prelude}
import socket, re
raw = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(os.environ['PORT']))), server_hostname='localhost')
buf = b''
def read_plain(tag):
    global buf
    while not re.search(tag + rb' (OK|NO|BAD)[^\\r\\n]*\\r\\n', buf):
        buf += raw.recv(65536)
    out_, buf = buf, b''
    return out_
read_plain(rb'\\*')
raw.sendall(b'a LOGIN py@example.test pw\\r\\n'); read_plain(b'a')
raw.sendall(b'z COMPRESS DEFLATE\\r\\n'); out['compress'] = read_plain(b'z').decode().strip()
comp = zlib.compressobj(wbits=-15)
decomp = zlib.decompressobj(wbits=-15)
wire = {'sent': 0, 'received': 0}
def command(tag, line):
    data = comp.compress(tag + b' ' + line + b'\\r\\n') + comp.flush(zlib.Z_SYNC_FLUSH)
    wire['sent'] += len(data)
    raw.sendall(data)
    text = b''
    while not re.search(rb'(^|\\n)' + tag + rb' (OK|NO|BAD)[^\\r\\n]*\\r\\n', text):
        chunk = raw.recv(65536)
        if not chunk: raise Exception('closed: ' + repr(text))
        wire['received'] += len(chunk)
        text += decomp.decompress(chunk)
    return text.decode('latin1')
out['select'] = 'b OK' in command(b'b', b'SELECT INBOX')
fetched = command(b'c', b'FETCH 1 BODY.PEEK[TEXT]')
out['body'] = fetched.count('squeeze me ')
out['again'] = command(b'd', b'COMPRESS DEFLATE').strip().splitlines()[-1]
out['wire'] = wire['received']
command(b'e', b'LOGOUT')
print(json.dumps(out))
`;
    const out = await runPython(script, { PORT: String(sandbox.ports.imaps) });
    expect(out).toMatchObject({ compress: 'z OK DEFLATE active', select: true, body: 3000, again: 'd NO [COMPRESSIONACTIVE] Compression is already on' });
    // 33 KB of body came over in far fewer bytes.
    expect(out.wire).toBeLessThan(5_000);
  });
});
