import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { eml, imapSandbox } from '../protocol/imap-helpers.js';
import { python, runPython } from './python-runner.js';

let sandbox: Sandbox;
afterEach(async () => {
  await sandbox?.close();
});

/** CONDSTORE/QRESYNC/QUOTA driven as raw commands through Python's imaplib (which knows none of them). */
describe.skipIf(!python)('CONDSTORE, QRESYNC and QUOTA with Python imaplib', () => {
  it('enables QRESYNC, resyncs a folder, stores conditionally and reads the quota', async () => {
    sandbox = await imapSandbox({ quotaMessages: 100 });
    const ids: string[] = [];
    for (const s of ['one', 'two', 'three']) ids.push((await sandbox.deliver(eml(s), { to: 'py@example.test' })).id);
    const folder = sandbox.store.getFolder('py@example.test', 'INBOX')!;
    const before = folder.highestModseq;
    sandbox.store.deleteMessage(ids[0]);
    sandbox.store.setSeen(ids[2], true);
    const script = `
import imaplib, json, os
out = {}
def ok(r):
    typ, data = r
    assert typ == 'OK', (typ, data)
    return [d.decode() if isinstance(d, bytes) else d for d in data]
m = imaplib.IMAP4('127.0.0.1', int(os.environ['PORT']))
ok(m.login('py@example.test', 'pw'))
out['caps'] = [c for c in m.capabilities if c in ('CONDSTORE', 'QRESYNC', 'QUOTA')]
ok(m.enable('QRESYNC'))
out['enabled'] = [v.decode() for v in m.untagged_responses.pop('ENABLED', [])]
ok(m._simple_command('SELECT', 'INBOX', '(QRESYNC (%s %s))' % (os.environ['UIDVALIDITY'], os.environ['MODSEQ'])))
m.state = 'SELECTED'
out['vanished'] = [v.decode() for v in m.untagged_responses.pop('VANISHED', [])]
out['fetch'] = [v.decode() for v in m.untagged_responses.pop('FETCH', [])]
typ, data = m._simple_command('UID', 'STORE', '2', '(UNCHANGEDSINCE 1)', '+FLAGS', '(\\\\Flagged)')
out['conditional'] = [typ, data[0].decode()]
ok(m._simple_command('UID', 'STORE', '2', '(UNCHANGEDSINCE %s)' % os.environ['MODSEQ'], '+FLAGS.SILENT', '(\\\\Flagged)'))
out['modseq_fetch'] = [v.decode() for v in m.untagged_responses.pop('FETCH', [])]
try:
    m._simple_command('UID', 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE 0)')
    out['bad'] = 'accepted'
except imaplib.IMAP4.error as e:
    out['bad'] = str(e)
typ, data = m.getquotaroot('INBOX')
out['quota'] = [d.decode() if isinstance(d, bytes) else str(d) for d in data[1]]
m.logout()
print(json.dumps(out))
`;
    const out = await runPython(script, { PORT: String(sandbox.ports.imap), UIDVALIDITY: String(folder.uidValidity), MODSEQ: String(before) });
    expect(out.caps).toEqual(['CONDSTORE', 'QRESYNC', 'QUOTA']);
    expect(out.enabled).toEqual(['QRESYNC']);
    expect(out.vanished).toEqual(['(EARLIER) 1']);
    expect(out.fetch).toEqual([expect.stringMatching(/^2 \(UID 3 FLAGS \(\\Seen \\Recent\) MODSEQ \(\d+\)\)$/)]);
    expect(out.conditional).toEqual(['OK', expect.stringMatching(/^\[MODIFIED 2\]/)]);
    expect(out.modseq_fetch).toEqual([expect.stringMatching(/^1 \(UID 2 MODSEQ \(\d+\)\)$/)]);
    expect(out.bad).toMatch(/BAD .*CHANGEDSINCE: must be at least 1/);
    expect(out.quota).toEqual([expect.stringMatching(/^"" \(MESSAGE 2 100\)$/)]);
    expect(folder.placements[0].flags.has('\\Flagged')).toBe(true);
  });
});
