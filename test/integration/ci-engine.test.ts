import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../docker/ci-engine.sh', import.meta.url));
const run = promisify(execFile);

describe('docker/ci-engine.sh', () => {
  let apt: string;
  beforeEach(async () => {
    apt = await mkdtemp(join(tmpdir(), 'ci-engine-apt-'));
    await mkdir(join(apt, 'sources.list.d'));
  });
  afterEach(() => rm(apt, { recursive: true, force: true }));

  const mirror = async () => (await run('bash', [script, 'mirror'], { env: { ...process.env, MAILSANDBOX_CI_APT_ROOT: apt } })).stdout.trim();

  it('finds the bookworm mirror in a one-line sources.list, skipping options and other suites', async () => {
    await writeFile(
      join(apt, 'sources.list'),
      '# local mirror\ndeb http://security.example/debian-security bookworm-security main\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n',
    );
    expect(await mirror()).toBe('http://mirror.example/debian');
  });

  it('finds the bookworm mirror in a deb822 .sources file, stanza by stanza', async () => {
    await writeFile(
      join(apt, 'sources.list.d', 'debian.sources'),
      'Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\nTypes: deb deb-src\nURIs: http://deb822.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n',
    );
    expect(await mirror()).toBe('http://deb822.example/debian');
  });

  it('prints nothing when no source names bookworm (the script then uses deb.debian.org)', async () => {
    await writeFile(join(apt, 'sources.list.d', 'other.sources'), 'Types: deb\nURIs: http://x.example/debian\nSuites: trixie\n');
    expect(await mirror()).toBe('');
  });

  it('exports what the container tests need, requiring Docker so that CI cannot skip them', async () => {
    const { stdout } = await run('bash', [script, 'env'], { env: { ...process.env, MAILSANDBOX_IMAGE: 'mailsandbox:test' } });
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      'export MAILSANDBOX_REQUIRE_DOCKER=1',
      'export MAILSANDBOX_IMAGE=mailsandbox:test',
      'export TESTCONTAINERS_RYUK_DISABLED=true',
      'export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1',
    ]);
  });

  it('prints its usage and exits 2 for an unknown subcommand', async () => {
    const failed = await run('bash', [script, 'bogus']).then(() => null, (err: { code: number; stderr: string }) => err);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('docker/ci-engine.sh run -- CMD');
  });
});
