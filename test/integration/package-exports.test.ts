import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

interface Manifest {
  bin: Record<string, string>;
  exports: Record<string, { types: string; import: string }>;
  files: string[];
}

/**
 * What an app's test suite compiles against: the declarations `npm run build` emits, under
 * node_modules/mailsandbox with the real package.json (so its `exports` map is what resolves the subpaths),
 * next to the peers a user installs themselves (vitest, testcontainers, @types/node).
 */
let project: string;
beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'mailsandbox-consumer-'));
  const pkg = join(project, 'node_modules', 'mailsandbox');
  await mkdir(join(project, 'node_modules', '@types'), { recursive: true });
  await run(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', join(pkg, 'dist')]);
  await copyFile(join(root, 'package.json'), join(pkg, 'package.json'));
  for (const dep of ['vitest', 'testcontainers', '@types/node']) await symlink(join(root, 'node_modules', dep), join(project, 'node_modules', dep), 'dir');
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'] };
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
}, 60_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

/** Type-checks the consumer project with these files in it; resolves with tsc's report ('' when clean). */
async function typecheck(files: Record<string, string>): Promise<string> {
  for (const [name, source] of Object.entries(files)) await writeFile(join(project, name), source);
  try {
    await run(process.execPath, [tsc, '-p', join(project, 'tsconfig.json')]);
    return '';
  } catch (err) {
    const e = err as { stdout?: string; message: string };
    return e.stdout || e.message;
  }
}

describe('the package as an app developer installs it', () => {
  it('types createSandbox, createClient, the container and toHaveReceivedMail in a NodeNext project', async () => {
    // The setup file is what the docs suggest; tsc reads it first, before anything else has imported vitest.
    const setup = `import 'mailsandbox/vitest';\n`;
    const suite = `
import { expect } from 'vitest';
import { WaitTimeoutError, createClient, createSandbox, type MailMessage, type TextMatch } from 'mailsandbox';
import { MailSandboxContainer, type StartedMailSandboxContainer } from 'mailsandbox/testcontainers';

export async function suite(): Promise<void> {
  const sandbox = await createSandbox({ smtp: { port: 0 }, http: { port: 0 } });
  const port: number | null = sandbox.ports.smtp;
  const msg: MailMessage = await sandbox.waitForMessage({ to: 'ann@example.test', subject: /reset/i }, { timeout: 5_000 });
  const link: string | undefined = msg.links[0];
  const subject: TextMatch = /reset/i;
  const timedOut: boolean = (await sandbox.waitForMessage({ subject }).catch((e: unknown) => e)) instanceof WaitTimeoutError;
  await expect(sandbox).toHaveReceivedMail({ subject: /reset/i });
  await expect(createClient('http://127.0.0.1:8025')).not.toHaveReceivedMail('to:bob@example.test', { timeout: 10 });
  // @ts-expect-error a number is not a filter, so the matcher is really typed (not any)
  await expect(sandbox).toHaveReceivedMail(42);
  const mail: StartedMailSandboxContainer = await new MailSandboxContainer().withSmtpAuth('required').start();
  const smtpPort: number = mail.getSmtpSettings().port;
  void [port, link, smtpPort, timedOut];
}
`;
    expect(await typecheck({ 'setup.ts': setup, 'suite.test.ts': suite })).toBe('');
  }, 60_000);
});

describe('package.json', () => {
  it('points every export, its types and the bin at files the build emits from src', async () => {
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Manifest;
    const targets = [...Object.values(manifest.exports).flatMap((e) => [e.import, e.types]), ...Object.values(manifest.bin)];
    for (const target of targets) {
      const source = target.replace(/^\.?\/?dist\//, 'src/').replace(/\.d\.ts$|\.js$/, '.ts');
      expect(existsSync(join(root, source)), `${target} is built from ${source}`).toBe(true);
      expect(manifest.files.some((f) => target.replace(/^\.\//, '').startsWith(`${f}/`)), `${target} is in "files"`).toBe(true);
    }
    const bin = await readFile(join(root, 'src/cli.ts'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(manifest.files).toContain('ui-dist');
  });
});
