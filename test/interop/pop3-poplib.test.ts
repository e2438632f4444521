import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { dottyMessage, pop3Sandbox } from '../protocol/pop3-helpers.js';

const run = promisify(execFile);
const hasPython = await run('python3', ['-c', 'import poplib, ssl']).then(
  () => true,
  () => false,
);

/**
 * One Python poplib session per call. `steps` is Python run with `p` (the connection), `out` (a dict printed
 * as JSON) and `msg(n)` (RETR n as bytes, joined the way poplib hands lines back) in scope.
 */
async function poplib(port: number, mode: 'plain' | 'ssl' | 'stls', steps: string): Promise<Record<string, unknown>> {
  const script = `
import base64, json, poplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
mode, port = sys.argv[1], int(sys.argv[2])
p = poplib.POP3_SSL('127.0.0.1', port, context=ctx) if mode == 'ssl' else poplib.POP3('127.0.0.1', port)
if mode == 'stls': p.stls(context=ctx)
out = {}
def msg(n):
    resp, lines, octets = p.retr(n)
    return base64.b64encode(b'\\r\\n'.join(lines) + b'\\r\\n').decode()
${steps}
print(json.dumps(out))
`;
  const { stdout } = await run('python3', ['-c', script, mode, String(port)], { timeout: 20_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const bob = 'bob@example.test';

describe.skipIf(!hasPython)('POP3 interop: Python poplib', () => {
  let sandbox: Sandbox;
  let raws: Buffer[];
  beforeEach(async () => {
    // STLS is offered on the plain port only with `starttls` (SPEC §3); poplib's stls() needs it.
    sandbox = await pop3Sandbox({ users: { [bob]: 'pw' }, starttls: 'on' });
    raws = [dottyMessage('first'), dottyMessage('second')];
    for (const raw of raws) await sandbox.deliver(raw, { to: bob });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it.each(['plain', 'ssl', 'stls'] as const)('logs in with user/pass_ and RETRs byte for byte (%s)', async (mode) => {
    const port = (mode === 'ssl' ? sandbox.ports.pop3s : sandbox.ports.pop3) as number;
    const out = await poplib(port, mode, `
p.user('${bob}'); p.pass_('pw')
out['stat'] = list(p.stat())
out['m1'] = msg(1); out['m2'] = msg(2)
p.quit()`);
    expect(out.stat).toEqual([2, raws[0].length + raws[1].length]);
    expect(Buffer.from(out.m1 as string, 'base64').equals(raws[0])).toBe(true);
    expect(Buffer.from(out.m2 as string, 'base64').equals(raws[1])).toBe(true);
    expect(sandbox.context.sessions.list('pop3')[0].tls).toBe(mode !== 'plain');
  });

  it('logs in with APOP and is refused with a wrong secret', async () => {
    const out = await poplib(sandbox.ports.pop3 as number, 'plain', `
try:
    p.apop('${bob}', 'wrong'); out['wrong'] = 'accepted'
except poplib.error_proto as e:
    out['wrong'] = str(e)
out['right'] = p.apop('${bob}', 'pw').decode()
p.quit()`);
    expect(out.wrong).toMatch(/-ERR \[AUTH\]/);
    expect(out.right).toMatch(/^\+OK bob@example.test has 2 messages/);
  });

  it('reads capabilities, UIDL and TOP', async () => {
    const out = await poplib(sandbox.ports.pop3 as number, 'plain', `
out['capa'] = sorted(p.capa().keys())
p.user('${bob}'); p.pass_('pw')
out['uidl'] = [l.decode() for l in p.uidl()[1]]
out['uidl1'] = p.uidl(1).decode()
resp, lines, octets = p.top(1, 1)
out['top'] = [l.decode() for l in lines]
p.quit()`);
    expect(out.capa).toEqual(['AUTH-RESP-CODE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'SASL', 'STLS', 'TOP', 'UIDL', 'USER']);
    expect(out.uidl).toHaveLength(2);
    expect(out.uidl1).toBe(`+OK ${(out.uidl as string[])[0]}`);
    const top = out.top as string[];
    expect(top.at(-2)).toBe('');
    expect(top.at(-1)).toBe('.starts with a dot');
  });

  it('deletes nothing after dele + rset + quit, and deletes after dele + quit', async () => {
    await poplib(sandbox.ports.pop3 as number, 'plain', `
p.user('${bob}'); p.pass_('pw'); p.dele(1); p.rset(); p.quit()`);
    expect(sandbox.store.size).toBe(2);
    const [second, first] = sandbox.messages();
    await poplib(sandbox.ports.pop3 as number, 'plain', `
p.user('${bob}'); p.pass_('pw'); p.dele(1); p.quit()`);
    expect(sandbox.store.get(first.id)).toBeUndefined();
    expect(sandbox.messages().map((m) => m.id)).toEqual([second.id]);
  });
});
