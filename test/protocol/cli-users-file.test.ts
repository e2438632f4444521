import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createSandbox } from '../../src/index.js';

const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const allZero = ['--smtp-port', '0', '--submission-port', '0', '--smtps-port', '0', '--pop3-port', '0', '--pop3s-port', '0', '--imap-port', '0', '--imaps-port', '0', '--http-port', '0'];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailsandbox-users-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args, ...allZero]);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A guard against a CLI that wrongly starts and keeps running; generous, as start-up is slow on a loaded machine.
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stderr };
}

describe('a --users file that lists no user', () => {
  it.each([
    ['comment-only', '# users go here\n# ann@example.test:secret\n'],
    ['empty', ''],
    ['blank-lines-only', '\n  \n\n'],
  ])('makes the CLI exit 2 with a clear message when the file is %s', async (name, text) => {
    const file = join(dir, `${name}.txt`);
    await writeFile(file, text);
    const { code, stderr } = await runCli(['--users', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`users file ${file} lists no users`);
  }, 90_000);

  it('makes createSandbox reject with a ConfigError instead of accepting every password', async () => {
    const file = join(dir, 'library.txt');
    await writeFile(file, '# nobody\n');
    await expect(createSandbox({ usersFile: file })).rejects.toBeInstanceOf(ConfigError);
  });
});
