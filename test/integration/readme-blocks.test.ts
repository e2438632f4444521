import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Every code block of README.md, extracted by this test and run as written (SPEC §2, issue 11): in a scratch project
 * that installs the package from `npm pack`'s tarball, as a user does, so the README and the tests cannot drift.
 * shell blocks run in bash; TypeScript blocks are compiled with `tsc --strict`, then run (vitest suites with vitest,
 * scripts with node); JSON blocks must parse. A block that cannot run here says why in a comment right before it:
 * `<!-- readme-test: skip (reason) -->` or `<!-- readme-test: compile-only (reason) -->`.
 * "Your code" that the recipes import (`./app.js`) is the only thing this test supplies.
 */

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

interface Block {
  index: number;
  line: number;
  lang: string;
  code: string;
  mark: { kind: 'skip' | 'compile-only'; reason: string } | null;
}

/** Fenced blocks with a language; an output sample (no language) is not code. */
function readmeBlocks(doc: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```(\w+)\n([\s\S]*?)^```$/gm;
  for (const m of doc.matchAll(fence)) {
    const before = doc.slice(0, m.index).trimEnd();
    const last = before.slice(before.lastIndexOf('\n') + 1);
    const marker = /^<!-- readme-test: (skip|compile-only) \((.+)\) -->$/.exec(last);
    blocks.push({
      index: blocks.length,
      line: before.split('\n').length + 1,
      lang: m[1],
      code: m[2],
      mark: marker ? { kind: marker[1] as 'skip' | 'compile-only', reason: marker[2] } : null,
    });
  }
  return blocks;
}

const hasDockerImage = await dockerAnswers();
const doc = await readFile(join(root, 'README.md'), 'utf8');
const blocks = readmeBlocks(doc);
const isTs = (b: Block) => b.lang === 'ts' || b.lang === 'typescript';
const isShell = (b: Block) => b.lang === 'sh' || b.lang === 'bash';
const isVitestSuite = (b: Block) => /from 'vitest'/.test(b.code);
const needsDocker = (b: Block) => b.code.includes('mailsandbox/testcontainers');
// The Playwright recipe is two files: its config (named as Playwright looks for it) and a spec run by `playwright test`.
const isPlaywrightConfig = (b: Block) => /from '@playwright\/test'/.test(b.code) && b.code.includes('defineConfig(');
const isPlaywrightSpec = (b: Block) => b.code.includes("from 'mailsandbox/playwright'");
const chromiumPath = '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const fileOf = (b: Block) =>
  isPlaywrightConfig(b) ? 'playwright.config.ts' : `readme-block-${b.index}${isVitestSuite(b) ? '.test' : isPlaywrightSpec(b) ? '.spec' : ''}.ts`;

/** The app code the recipes call: sends one mail to 127.0.0.1:$SMTP_PORT with nodemailer's defaults. */
const appSource = `import nodemailer from 'nodemailer';

async function send(to: string, subject: string, text: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(process.env.SMTP_PORT) });
  await transport.sendMail({ from: 'app@example.test', to, subject, text });
  transport.close();
}

export const requestPasswordReset = (to: string) => send(to, 'Reset your password', 'Open https://app.example.test/reset?token=abc123 to reset it.');
export const sendWelcomeMail = (to: string) => send(to, 'Welcome', 'Hello and welcome.');
// The Playwright recipe's app (a sign-up form that mails a confirmation link): the sample project's own.
export { startSignupApp, type SignupApp } from './signup-app.js';
`;

/** The project's own `npm test` in the shell recipe: sends a mail and waits for it through the REST API. */
const projectTest = `import nodemailer from 'nodemailer';
await nodemailer.createTransport({ host: '127.0.0.1', port: Number(process.env.SMTP_PORT) })
  .sendMail({ from: 'ci@example.test', to: 'ann@example.test', subject: 'Shell recipe', text: 'hi' });
const res = await fetch(process.env.MAILSANDBOX_URL + '/api/v1/messages/wait?query=subject:recipe&since=start&timeout=10s');
if (res.status !== 200) { console.error('wait answered', res.status); process.exit(1); }
`;

let project: string;
let sandbox: ChildProcess | undefined;
let env: NodeJS.ProcessEnv;

async function dockerAnswers(): Promise<boolean> {
  try {
    await run('docker', ['image', 'inspect', process.env.MAILSANDBOX_IMAGE ?? 'mailsandbox:latest'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function bash(script: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], { cwd: project, env: { ...env, ...extraEnv } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'mailsandbox-readme-'));
  // --ignore-scripts: `npm test` has just built dist/ and ui-dist/; pack what is there, as `prepare` would.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', project], { cwd: root });
  const tarball = join(project, stdout.trim().split('\n').pop() as string);
  const app = join(project, 'app');
  await mkdir(app);
  project = app;
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', scripts: { test: 'node project-test.mjs' } }));
  // --ignore-scripts: the one install script is better-sqlite3's (the durable store's optional engine), which compiles
  // SQLite from source here (no prebuilt download): measured 12 min 58 s wall clock (1 min 46 s of CPU) on the
  // shared 2-core box, more than this whole setup may take (300 s). Its binding is the one this repository's own install compiled (same Node, same platform);
  // copied in, a README block with --data-dir runs as it would for a user.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball], { cwd: app, timeout: 240_000 });
  const binding = join('node_modules', 'better-sqlite3', 'build', 'Release');
  await mkdir(join(app, binding), { recursive: true });
  await copyFile(join(root, binding, 'better_sqlite3.node'), join(app, binding, 'better_sqlite3.node'));
  // The tools a user's project brings itself (optional peers and dev tools), from this repository's install.
  for (const dep of ['vitest', 'typescript', 'testcontainers', '@types/node', '@types/nodemailer', '@playwright/test']) {
    await mkdir(join(app, 'node_modules', dep, '..'), { recursive: true });
    if (!existsSync(join(app, 'node_modules', dep))) await symlink(join(root, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
  }
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'build', rootDir: '.', types: ['node'], skipLibCheck: true };
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
  await writeFile(join(app, 'app.ts'), appSource);
  await writeFile(join(app, 'signup-app.ts'), await readFile(join(root, 'fixtures/playwright-sample/signup-app.ts'), 'utf8'));
  await writeFile(join(app, 'project-test.mjs'), projectTest);
  await writeFile(join(app, 'welcome.eml'), 'From: app@example.test\r\nTo: ann@example.test\r\nSubject: Welcome\r\n\r\nHello\r\n');
  for (const b of blocks.filter(isTs)) await writeFile(join(app, fileOf(b)), b.code);
  // A sandbox for the blocks that talk to one already running (MAILSANDBOX_URL, ...), started as the README says.
  sandbox = spawn('./node_modules/.bin/mailsandbox', ['--json-banner', '--ports', '0', '--log-level', 'warn'], { cwd: app, stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: sandbox.stdout! }), 'line')) as [string];
  const ready = JSON.parse(line) as { ports: Record<string, number>; ui: string };
  env = {
    ...process.env,
    MAILSANDBOX_URL: ready.ui,
    SMTP_PORT: String(ready.ports.smtp),
    SUBMISSION_PORT: String(ready.ports.submission),
    POP3S_PORT: String(ready.ports.pop3s),
    MAILSANDBOX_LOG_LEVEL: 'warn',
    CHROMIUM_PATH: chromiumPath,
  };
}, 300_000);

afterAll(async () => {
  sandbox?.kill('SIGTERM');
  if (project) await rm(resolve(project, '..'), { recursive: true, force: true });
});

describe('README.md code blocks', () => {
  it('marks only a few blocks as not run, each with its reason', () => {
    const marked = blocks.filter((b) => b.mark);
    expect(blocks.length).toBeGreaterThan(15);
    expect(marked.length).toBeLessThanOrEqual(12);
    for (const b of marked) expect(b.mark?.reason.length, `block at line ${b.line}`).toBeGreaterThan(20);
  });

  it('never shows a bare npx mailsandbox, which could reach the registry', () => {
    for (const b of blocks) expect(b.code, `block at line ${b.line}`).not.toMatch(/npx (?!--no )mailsandbox/);
  });

  it('has JSON blocks that parse', () => {
    const json = blocks.filter((b) => b.lang === 'json');
    expect(json.length).toBeGreaterThan(0);
    for (const b of json) expect(() => JSON.parse(b.code), `block at line ${b.line}`).not.toThrow();
  });

  it('installs from the packed tarball with the CLI, the types, the UI and nothing from the source tree', async () => {
    const pkg = join(project, 'node_modules', 'mailsandbox');
    const top = (await readdir(pkg)).sort();
    expect(top).toEqual(['LICENSE', 'README.md', 'THIRD_PARTY_NOTICES.md', 'dist', 'package.json', 'ui-dist']);
    for (const file of ['dist/cli.js', 'dist/index.d.ts', 'dist/vitest/index.d.ts', 'dist/testcontainers/index.d.ts', 'ui-dist/index.html']) {
      expect(existsSync(join(pkg, file)), file).toBe(true);
    }
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'mailsandbox'), ['--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('compiles every TypeScript block with tsc --strict, with no ! or casts needed', async () => {
    const ts = blocks.filter(isTs);
    expect(ts.length).toBeGreaterThanOrEqual(5);
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    expect(result.stdout).toBe('');
    const nodemailerLine = ts.find((b) => b.code.includes("nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp })"));
    expect(nodemailerLine, 'the README shows the nodemailer line on sandbox.ports.smtp').toBeDefined();
    expect(ts.some((b) => b.code.includes('createClient(sandbox.url)'))).toBe(true);
  }, 120_000);

  const runnable = blocks.filter((b) => !b.mark && (isShell(b) || isTs(b)));
  const runBlock = async (b: Block): Promise<void> => {
    if (isShell(b)) {
      const { code, output } = await bash(b.code);
      expect(code, output).toBe(0);
      return;
    }
    if (isPlaywrightSpec(b)) {
      const cli = join(project, 'node_modules', '@playwright', 'test', 'cli.js');
      const { stdout } = await run(process.execPath, [cli, 'test', '--reporter=line', fileOf(b)], { cwd: project, env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 150_000 });
      expect(stdout).toMatch(/\b\d+ passed\b/);
      expect(stdout).not.toMatch(/\b\d+ (failed|skipped|flaky)\b/);
      return;
    }
    if (isVitestSuite(b)) {
      const vitest = join(project, 'node_modules', 'vitest', 'vitest.mjs');
      const { stdout } = await run(process.execPath, [vitest, 'run', fileOf(b)], { cwd: project, env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 120_000 });
      expect(stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+\d+ passed/);
      return;
    }
    const { stderr } = await run(process.execPath, [join('build', fileOf(b).replace(/\.ts$/, '.js'))], { cwd: project, env, timeout: 60_000 });
    expect(stderr).not.toMatch(/Error/);
  };
  // The Playwright config is not run on its own: `playwright test` reads it when it runs the spec.
  const withoutDocker = runnable.filter((b) => !needsDocker(b) && !isPlaywrightSpec(b) && !isPlaywrightConfig(b));
  it.each(withoutDocker.map((b) => [b.line, b.lang, b] as const))('runs the block at README line %i (%s) as written', (_line, _lang, b) => runBlock(b), 180_000);

  // The Playwright recipe needs a browser: Debian's Chromium, which CI installs.
  if (!hasChromium && process.env.CI) throw new Error(`${chromiumPath} is required in CI for the README's Playwright recipe`);
  it.skipIf(!hasChromium).each(runnable.filter(isPlaywrightSpec).map((b) => [b.line, b] as const))(
    `runs the Playwright recipe at README line %i with playwright test${hasChromium ? '' : ` [skipped: ${chromiumPath} is not installed]`}`,
    (_line, b) => runBlock(b),
    180_000,
  );

  // Blocks that start a container run where a Docker engine has the image (CI: docker/ci-engine.sh), and must there.
  const canRunDocker = hasDockerImage || !!process.env.MAILSANDBOX_REQUIRE_DOCKER;
  it.skipIf(!canRunDocker).each(runnable.filter(needsDocker).map((b) => [b.line, b] as const))(
    'runs the Testcontainers block at README line %i as written [needs a Docker engine with the image, skipped without it]',
    (_line, b) => runBlock(b),
    180_000,
  );

  it('runs the shell recipe twice in a row: it leaves no FIFO behind and exits 0 both times', async () => {
    const recipe = runnable.find((b) => isShell(b) && b.code.includes('mkfifo'));
    expect(recipe).toBeDefined();
    const before = (await readdir(project)).sort();
    for (let i = 0; i < 2; i++) {
      const { code, output } = await bash(recipe?.code ?? "exit 1");
      expect(code, output).toBe(0);
    }
    expect((await readdir(project)).sort()).toEqual(before);
  }, 120_000);
});
