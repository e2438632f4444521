import net from 'node:net';

/**
 * Is this address one a link check must not reach (SSRF)? Loopback, private, link-local, CGNAT, unspecified,
 * multicast, reserved, and IPv6 forms that carry such an IPv4 address (mapped, compatible, NAT64).
 */
export function isPrivateAddress(ip: string): boolean {
  const v = ip.replace(/^\[|\]$/g, '').toLowerCase().replace(/%.*$/, '');
  if (net.isIPv4(v)) return isPrivateV4(v);
  if (!net.isIPv6(v)) return true; // not an address at all: refuse rather than guess
  const groups = expandV6(v);
  const embedded = embeddedV4(groups);
  if (embedded) return isPrivateV4(embedded);
  if (groups.every((g) => g === 0)) return true; // ::
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return true; // ::1
  const first = groups[0];
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00 || (first & 0xffc0) === 0xfec0 || first === 0x2001 && groups[1] === 0x0db8;
}

const privateV4: Array<[number, number]> = [
  [0x00000000, 8], [0x0a000000, 8], [0x64400000, 10], [0x7f000000, 8], [0xa9fe0000, 16], [0xac100000, 12],
  [0xc0000000, 24], [0xc0000200, 24], [0xc0a80000, 16], [0xc6120000, 15], [0xc6336400, 24], [0xcb007100, 24],
  [0xe0000000, 4], [0xf0000000, 4],
];

function isPrivateV4(ip: string): boolean {
  const n = ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);
  return privateV4.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
}

function expandV6(ip: string): number[] {
  let s = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1].split('.').map(Number);
    s = s.slice(0, -v4[1].length) + `${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g || '0', 16));
}

/** ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64) carry an IPv4 address. */
function embeddedV4(g: number[]): string | null {
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  const compat = g.slice(0, 6).every((x) => x === 0) && (g[6] !== 0 || g[7] > 1);
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (!mapped && !compat && !nat64) return null;
  return [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255].join('.');
}
