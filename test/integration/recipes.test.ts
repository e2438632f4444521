import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { createSandbox } from '../../src/api/create-sandbox.js';
import type { Sandbox } from '../../src/api/create-sandbox.js';
import '../../src/vitest/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli.js');

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The fenced code block that follows `<!-- recipe: NAME ... -->` in README.md. */
async function recipe(name: string): Promise<string> {
  const doc = await readFile(join(root, 'README.md'), 'utf8');
  const at = doc.indexOf(`<!-- recipe: ${name}`);
  if (at < 0) throw new Error(`README.md has no recipe named ${name}`);
  const block = /```\w*\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!block) throw new Error(`recipe ${name} has no code block`);
  return block[1];
}

function runBash(script: string, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env: { ...process.env, MAILSANDBOX_LOG_LEVEL: 'warn' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the in-process recipe', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ pop3: { port: false }, imap: { port: false } });
  });
  afterAll(() => sandbox.close());

  it('asserts on a reset mail sent over SMTP, and reads its link', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, tls: { rejectUnauthorized: false } });
    await transport.sendMail({
      from: 'app@example.test',
      to: 'ann@example.test',
      subject: 'Reset your password',
      text: 'Open https://app.example.test/reset?token=abc123 to choose a new password.',
    });
    transport.close();
    await expect(sandbox).toHaveReceivedMail({ to: 'ann@example.test', subject: /reset/i });
    const msg = await sandbox.waitForMessage({ to: 'ann@example.test' }, { since: 'start' });
    expect(msg.links[0]).toMatch(/\/reset\?token=/);
  });
});

const canRunShellRecipe = hasCommand('curl') && hasCommand('mkfifo');

describe('the shell recipe for the CLI in a CI job', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailsandbox-recipe-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.skipIf(!canRunShellRecipe)('runs as written in README.md: ports from the ready line, mail in, SIGTERM, exit 0 (needs curl)', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build:server' first`);
    const snippet = await recipe('cli-shell');
    expect(snippet).toContain('npx mailsandbox');
    expect(snippet).toMatch(/^npm test/m);
    // The repository is not installed as a package here, so npx would look for it in the registry.
    const body = [
      `printf 'From: ci@example.test\\r\\nTo: ann@example.test\\r\\nSubject: Shell recipe\\r\\n\\r\\nHello\\r\\n' > mail.eml`,
      'curl -sS --url "smtp://127.0.0.1:$SMTP_PORT" --mail-from ci@example.test --mail-rcpt ann@example.test --upload-file mail.eml',
      'curl -sS -f "$MAILSANDBOX_URL/api/v1/messages/wait?query=subject:recipe&since=start&timeout=10s" > wait.json',
    ].join('\n');
    const script = snippet.replace(/npx mailsandbox/g, `node '${cli}'`).replace(/^npm test.*$/m, body);
    await writeFile(join(dir, 'recipe.sh'), script);
    const { code, output } = await runBash(`set -euo pipefail\n${script}`, dir);
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/curl: |error/i);
    const waited = JSON.parse(await readFile(join(dir, 'wait.json'), 'utf8')) as { messages: Array<{ subject: string }> };
    expect(waited.messages.map((m) => m.subject)).toEqual(['Shell recipe']);
  });
});
