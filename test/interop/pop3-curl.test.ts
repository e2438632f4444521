import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { dottyMessage, pop3Sandbox } from '../protocol/pop3-helpers.js';

const run = promisify(execFile);
const hasCurl = await run('curl', ['--version']).then(
  ({ stdout }) => /pop3s/.test(stdout),
  () => false,
);

const bob = 'bob@example.test';

/** curl's output as bytes (RETR bodies are compared byte for byte). */
async function curl(args: string[]): Promise<Buffer> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '20', ...args], { encoding: 'buffer', timeout: 25_000 });
  return stdout;
}

describe.skipIf(!hasCurl)('POP3 interop: curl', () => {
  let sandbox: Sandbox;
  let raws: Buffer[];
  beforeEach(async () => {
    // curl --ssl-reqd needs STLS, offered on the plain port only with `starttls` (SPEC §3).
    sandbox = await pop3Sandbox({ users: { [bob]: 'pw' }, starttls: 'on' });
    raws = [dottyMessage('first'), dottyMessage('second message')];
    for (const raw of raws) await sandbox.deliver(raw, { to: bob });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const url = (scheme: 'pop3' | 'pop3s', path = '') =>
    `${scheme}://127.0.0.1:${scheme === 'pop3s' ? sandbox.ports.pop3s : sandbox.ports.pop3}/${path}`;

  /** What the last POP3 session recorded: whether it was encrypted and how it logged in. */
  const lastSession = () => {
    const s = sandbox.context.sessions.list('pop3')[0];
    return { tls: s.tls, login: s.lines.find((l) => l.dir === 'C' && /^(USER|AUTH|APOP) /i.test(l.line))?.line };
  };

  it.each([
    ['pop3', [], false],
    ['pop3s', ['-k'], true],
    ['pop3', ['-k', '--ssl-reqd'], true],
  ] as const)('LISTs with exact sizes over %s %j', async (scheme, extra, tls) => {
    const out = await curl([...extra, '-u', `${bob}:pw`, url(scheme)]);
    expect(out.toString()).toBe(`1 ${raws[0].length}\r\n2 ${raws[1].length}\r\n`);
    expect(lastSession().tls).toBe(tls);
  });

  it.each([
    ['pop3', [], /^AUTH PLAIN/],
    ['pop3s', ['-k'], /^AUTH PLAIN/],
    ['pop3', ['--sasl-ir', '--login-options', 'AUTH=PLAIN'], /^AUTH PLAIN \*\*\*\*$/],
    ['pop3', ['--login-options', 'AUTH=LOGIN'], /^AUTH LOGIN/],
    ['pop3', ['--login-options', 'AUTH=+APOP'], /^APOP bob@example.test \*\*\*\*$/],
  ] as const)('RETRs byte for byte over %s %j', async (scheme, extra, login) => {
    for (const [i, raw] of raws.entries()) {
      const out = await curl([...extra, '-u', `${bob}:pw`, url(scheme, String(i + 1))]);
      expect(out.equals(raw)).toBe(true);
      expect(lastSession().login).toMatch(login);
    }
  });

  it('fails with a wrong password', async () => {
    await expect(curl(['-u', `${bob}:nope`, url('pop3')])).rejects.toThrow(/Login denied|Access denied|67/);
  });

  it('runs UIDL and DELE as custom requests', async () => {
    const uidl = (await curl(['-u', `${bob}:pw`, '-X', 'UIDL', url('pop3')])).toString();
    expect(uidl).toMatch(/^1 \S+\r\n2 \S+\r\n$/);
    await curl(['-u', `${bob}:pw`, '-X', 'DELE', '-I', url('pop3', '1')]);
    expect(sandbox.store.size).toBe(1);
  });
});
