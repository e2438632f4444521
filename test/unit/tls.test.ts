import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTlsMaterial } from '../../src/shared/tls.js';
import { ConfigError, createSandbox } from '../../src/index.js';

describe('TLS material', () => {
  it('generates a self-signed certificate when no files are given', async () => {
    const tls = await loadTlsMaterial();
    expect(tls.isSelfSigned).toBe(true);
    expect(tls.cert).toMatch(/BEGIN CERTIFICATE/);
  });

  it('loads a matching PEM pair', async () => {
    const own = await loadTlsMaterial();
    const dir = await mkdtemp(join(tmpdir(), 'mailsandbox-tls-'));
    await writeFile(join(dir, 'cert.pem'), own.cert);
    await writeFile(join(dir, 'key.pem'), own.key);
    const tls = await loadTlsMaterial(join(dir, 'cert.pem'), join(dir, 'key.pem'));
    expect(tls).toEqual({ cert: own.cert, key: own.key, isSelfSigned: false, fingerprint256: own.fingerprint256 });
    expect(own.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('refuses swapped or non-PEM files at start-up with a config error naming them', async () => {
    const own = await loadTlsMaterial();
    const dir = await mkdtemp(join(tmpdir(), 'mailsandbox-tls-'));
    await writeFile(join(dir, 'cert.pem'), own.key);
    await writeFile(join(dir, 'key.pem'), 'not a key');
    const started = createSandbox({ logLevel: 'silent', tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(/cert\.pem and .*key\.pem are not a matching PEM certificate and private key/);
  });
});
