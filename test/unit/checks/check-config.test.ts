import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseCli, resolveConfig } from '../../../src/config.js';
import { createSandbox } from '../../../src/index.js';

describe('message check configuration', () => {
  it('reads --dns-zone, --spamd, --link-check and --link-check-private from flags and env vars', () => {
    const { options } = parseCli(['--dns-zone', '/tmp/z.zone', '--spamd', '127.0.0.1:783', '--link-check'], { MAILSANDBOX_LINK_CHECK_PRIVATE: '1' });
    expect(resolveConfig(options).checks).toEqual({ dnsZone: '/tmp/z.zone', spamd: { host: '127.0.0.1', port: 783 }, linkCheck: true, linkCheckPrivate: true });
  });

  it('leaves every check flag off by default', () => {
    expect(resolveConfig({}).checks).toEqual({ dnsZone: undefined, spamd: undefined, linkCheck: false, linkCheckPrivate: false });
  });

  it('rejects a spamd address that is not host:port', () => {
    expect(() => resolveConfig({ spamd: 'localhost' })).toThrow(ConfigError);
    expect(() => resolveConfig({ spamd: 'localhost:99999' })).toThrow(/spamd must be host:port/);
  });

  it('refuses to start with a zone file that is missing or does not parse, naming the file and line', async () => {
    const off = { smtp: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, http: { port: false } } as const;
    await expect(createSandbox({ ...off, logLevel: 'silent', dnsZone: '/nonexistent/zone' })).rejects.toThrow(/dns zone \/nonexistent\/zone/);
    const bad = join(mkdtempSync(join(tmpdir(), 'mailsandbox-zone-')), 'bad.zone');
    writeFileSync(bad, '$ORIGIN x.test.\n@ IN TXT "unclosed\n');
    await expect(createSandbox({ ...off, logLevel: 'silent', dnsZone: bad })).rejects.toThrow(/line 2: unclosed quoted string/);
  });
});
