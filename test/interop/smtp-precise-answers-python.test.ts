import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { nextMessage, smtpSandbox } from '../protocol/smtp-helpers.js';

const run = promisify(execFile);

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// In CI a missing python3 is a failure, not a skip.
const canRun = hasPython() || Boolean(process.env.CI);

/**
 * Python smtplib on one session: raw lines with a bare CR, a bare LF and a NUL (sent with `send`, since smtplib's own
 * commands refuse CR and LF), each read back with smtplib's reply parser, then a normal sendmail on the same session.
 */
const script = `
import smtplib, sys, json
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.ehlo('python.test')
replies = []
for line in [b'MAIL FROM:<a@b.test>\\rX-Injected: 1\\r\\n', b'MAIL FROM:<a@b.test>\\nX-Injected: 1\\r\\n', b'NOOP \\x00\\r\\n']:
    s.send(line)
    code, text = s.getreply()
    replies.append([code, text.decode()])
replies.append(list(s.docmd('NOOP')))
replies[-1][1] = replies[-1][1].decode()
s.sendmail('py@example.test', ['ann@example.test'], b'Subject: after refused lines\\r\\n\\r\\nok\\r\\n')
s.quit()
print(json.dumps(replies))
`;

describe('SMTP precise answers seen by Python smtplib', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await smtpSandbox();
  });
  afterAll(() => sandbox.close());

  it.skipIf(!canRun)('gets 501 5.5.2 for lines with a bare CR, a bare LF or a NUL and then sends mail on the same session [needs python3; skipped without it outside CI]', async () => {
    const added = nextMessage(sandbox);
    const { stdout } = await run('python3', ['-c', script, String(sandbox.ports.smtp)]);
    const replies = JSON.parse(stdout) as Array<[number, string]>;
    expect(replies.slice(0, 3).map(([code, text]) => [code, text.slice(0, 5)])).toEqual([
      [501, '5.5.2'],
      [501, '5.5.2'],
      [501, '5.5.2'],
    ]);
    expect(replies[3][0]).toBe(250);
    const message = await added;
    expect(message.envelope).toEqual({ mailFrom: 'py@example.test', rcptTo: ['ann@example.test'] });
  });
});
