import { describe, expect, it } from 'vitest';
import { parseZoneFile, zoneResolver, ZoneSyntaxError } from '../../../src/checks/dns-zone.js';
import { isPrivateAddress } from '../../../src/checks/address-policy.js';

const zone = `$TTL 3600
$ORIGIN example.test.
@            IN  TXT  "v=spf1 ip4:192.0.2.10 -all"   ; the SPF record
_dmarc       300 IN TXT "v=DMARC1; p=reject; " "adkim=s"
sel._domainkey   TXT  ( "v=DKIM1; k=rsa; "
                        "p=MIIBIjAN" )
                 TXT  "second=record"
mail.example.test.  IN A 192.0.2.10
www          IN CNAME mail
v6           IN AAAA 2001:DB8::1
@            IN MX 10 mail
`;

describe('zone file', () => {
  const z = parseZoneFile(zone);
  const resolve = zoneResolver(z);

  it('reads TXT records split into quoted strings, across parentheses, with comments, TTLs and classes', async () => {
    expect(await resolve('example.test', 'TXT')).toEqual([['v=spf1 ip4:192.0.2.10 -all']]);
    expect(await resolve('_dmarc.example.test', 'TXT')).toEqual([['v=DMARC1; p=reject; ', 'adkim=s']]);
    expect(await resolve('sel._domainkey.example.test.', 'TXT')).toEqual([['v=DKIM1; k=rsa; ', 'p=MIIBIjAN'], ['second=record']]);
  });

  it('answers A, AAAA, MX and follows CNAME', async () => {
    expect(await resolve('www.example.test', 'A')).toEqual(['192.0.2.10']);
    expect(await resolve('v6.example.test', 'AAAA')).toEqual(['2001:db8::1']);
    expect(await resolve('example.test', 'MX')).toEqual([{ priority: 10, exchange: 'mail.example.test' }]);
  });

  it('answers ENOTFOUND for an unknown name and ENODATA for a missing type, never inventing a record', async () => {
    await expect(resolve('nope.example.test', 'TXT')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolve('v6.example.test', 'TXT')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(zoneResolver(null)('example.test', 'TXT')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it.each([
    ['@ IN TXT "unclosed', /unclosed quoted string/],
    ['@ IN TXT ( "a"', /unclosed parenthesis/],
    ['@ IN BOGUS x', /expected a record type/],
    ['@ IN A 999.1', /bad A address/],
  ])('rejects %j with a line number', (text, re) => {
    expect(() => parseZoneFile(`$ORIGIN x.test.\n${text}`)).toThrow(ZoneSyntaxError);
    expect(() => parseZoneFile(`$ORIGIN x.test.\n${text}`)).toThrow(re);
  });
});

describe('address policy for the link check', () => {
  it.each(['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', '[::1]', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a00:1', '224.0.0.1', 'not-an-ip'])('refuses %s', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });
  it.each(['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('allows %s', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });
});
