import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { eml, imapSandbox } from '../protocol/imap-helpers.js';
import { python, runPython } from './python-runner.js';

/**
 * IMAP4rev2 (RFC 9051) driven by Python's imaplib (3.11 knows ENABLE but not rev2 itself, so the rev2 answers are read
 * from its untagged responses): ENABLE IMAP4rev2, SELECT's LIST response, ESEARCH for SEARCH, no RECENT, STATUS
 * DELETED/SIZE, and a UTF-8 folder name sent as a literal and listed back as UTF-8.
 */

let sandbox: Sandbox;
afterEach(async () => {
  await sandbox?.close();
});

const script = `
import imaplib, json, os
out = {}
def ok(r):
    typ, data = r
    assert typ == 'OK', (typ, data)
    return data
def untagged(name):
    return [x.decode() if isinstance(x, bytes) else x for x in m.untagged_responses.pop(name, [])]
m = imaplib.IMAP4('127.0.0.1', int(os.environ['PORT']))
out['versions'] = sorted(c for c in m.capabilities if c.startswith('IMAP4'))
ok(m.login('py-rev2@example.test', 'pw'))
ok(m.enable('IMAP4rev2'))
out['enabled'] = untagged('ENABLED')
ok(m.select('INBOX'))
out['select_list'] = untagged('LIST')
out['select_recent'] = untagged('RECENT')
out['search'] = ok(m.search(None, 'FLAGGED'))
out['esearch'] = untagged('ESEARCH')
ok(m.uid('SEARCH', 'CHARSET', 'UTF-8', 'ALL'))
out['uid_esearch'] = untagged('ESEARCH')
try:
    m.status('INBOX', '(MESSAGES RECENT)')
    out['status_recent'] = 'OK'
except imaplib.IMAP4.error as e:
    out['status_recent'] = str(e)
out['status'] = [x.decode() for x in ok(m.status('INBOX', '(MESSAGES DELETED)'))]
m.literal = 'Entwürfe'.encode()
ok(m._simple_command('CREATE'))
out['list'] = [x.decode() for x in ok(m.list('""', 'Entw*'))]
out['fetch'] = [x.decode() for x in ok(m.fetch('1:2', '(FLAGS)'))]
m.logout()
print(json.dumps(out))
`;

describe.skipIf(!python)('IMAP4rev2 with Python imaplib', () => {
  it('enables IMAP4rev2 and gets the RFC 9051 answers: LIST in SELECT, ESEARCH, no RECENT, UTF-8 names', async () => {
    sandbox = await imapSandbox();
    for (const [subject, flags] of [['one', []], ['two', ['\\Flagged']]] as const) {
      sandbox.store.deliver({ raw: Buffer.from(eml(subject)), envelope: { mailFrom: '', rcptTo: ['py-rev2@example.test'] }, source: 'api', targets: [{ mailbox: 'py-rev2@example.test', flags: [...flags] }] });
    }
    const out = await runPython(script, { PORT: String(sandbox.ports.imap) });
    expect(out).toEqual({
      versions: ['IMAP4REV1', 'IMAP4REV2'],
      enabled: ['IMAP4rev2'],
      select_list: ['(\\HasNoChildren) "/" "INBOX"'],
      select_recent: [],
      search: [null],
      esearch: [expect.stringMatching(/^\(TAG "\w+"\) ALL 2$/)],
      uid_esearch: [expect.stringMatching(/^\(TAG "\w+"\) UID ALL 1:2$/)],
      status_recent: expect.stringMatching(/BAD.*RECENT is not a STATUS item in IMAP4rev2/),
      status: ['"INBOX" (MESSAGES 2 DELETED 0)'],
      list: ['(\\HasNoChildren) "/" "Entwürfe"'],
      fetch: ['1 (FLAGS ())', '2 (FLAGS (\\Flagged))'],
    });
  });
});
