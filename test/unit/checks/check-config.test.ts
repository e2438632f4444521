import { describe, expect, it } from 'vitest';
import { ConfigError, parseCli, resolveConfig } from '../../../src/config.js';

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
});
