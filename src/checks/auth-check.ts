/**
 * mailauth (with our DKIM body fast paths) is loaded on the first check, not at start: it is about a quarter of a
 * second of module loading that a sandbox which never authenticates a message should not pay at every start.
 */
let mailauth: Promise<typeof import('mailauth')> | undefined;
function loadMailauth(): Promise<typeof import('mailauth')> {
  mailauth ??= import('./mailauth-fast-paths.js').then(() => import('mailauth'));
  return mailauth;
}

/**
 * mailauth's resolver shape (its `DNSResolver`), spelled out so the published declarations don't need mailauth's
 * types to compile in a user's project.
 */
export type DnsResolver = (domain: string, rrtype: string) => Promise<string[][] | string[]>;
import type { StoredMessage } from '../store/types.js';

/** RFC 8601 result words; mailauth's `temperr`/`softfail`/`policy` are mapped onto them. */
export type AuthResultWord = 'pass' | 'fail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'softfail' | 'policy';

export interface AuthCheckResult {
  dkim: Array<{ domain: string; selector: string; result: AuthResultWord; reason: string; aligned: boolean }>;
  spf: { result: AuthResultWord; domain: string; clientIp: string; reason: string };
  dmarc: { result: AuthResultWord; policy: string; alignment: { spf: boolean; dkim: boolean }; domain: string; reason: string };
  arc: { result: AuthResultWord; reason: string };
  /** The Authentication-Results header a receiving server would add. */
  authenticationResults: string;
}

/**
 * Authenticates a stored message as a receiving server would (mailauth), with the sandbox's DNS zone as the only
 * DNS: the client IP the sandbox saw, the HELO name, and MAIL FROM are what SPF sees.
 */
export async function checkAuth(m: StoredMessage, resolver: DnsResolver): Promise<AuthCheckResult> {
  const { authenticate } = await loadMailauth();
  const r = await authenticate(m.raw, {
    ip: normalizeIp(m.connection.remoteAddress ?? '127.0.0.1'),
    helo: m.connection.heloName ?? 'unknown',
    sender: m.envelope.mailFrom,
    mta: 'mailsandbox',
    resolver,
    disableBimi: true,
  });
  return {
    dkim: r.dkim.results
      .filter((d) => d.signingDomain)
      .map((d) => ({ domain: d.signingDomain, selector: d.selector ?? '', result: dkimWord(d.status.result, d.status.comment), reason: d.status.comment ?? '', aligned: Boolean(d.status.aligned) })),
    spf: r.spf ? { result: word(r.spf.status.result), domain: r.spf.domain, clientIp: r.spf['client-ip'], reason: r.spf.status.comment ?? '' } : { result: 'none', domain: '', clientIp: '', reason: 'no envelope sender' },
    dmarc: r.dmarc
      ? {
          result: word(r.dmarc.status.result),
          policy: r.dmarc.policy ?? 'none',
          alignment: { spf: Boolean(r.dmarc.alignment?.spf?.result), dkim: Boolean(r.dmarc.alignment?.dkim?.result) },
          domain: r.dmarc.domain ?? '',
          reason: r.dmarc.status.comment ?? '',
        }
      : { result: 'none', policy: 'none', alignment: { spf: false, dkim: false }, domain: '', reason: 'no From domain' },
    arc: r.arc ? { result: word(r.arc.status.result), reason: r.arc.status.comment ?? '' } : { result: 'none', reason: '' },
    authenticationResults: (r.arc && r.arc.authResults) || '',
  };
}

/**
 * mailauth reports a body hash mismatch as `neutral`; RFC 6376 §6.1.3 makes it a failed verification and
 * SPEC §14 asks for `fail`, which is also what a developer who edits a signed body must see.
 */
function dkimWord(result: string, comment: string | undefined): AuthResultWord {
  if (result === 'neutral' && /body hash did not verify/i.test(comment ?? '')) return 'fail';
  return word(result);
}

function word(result: string): AuthResultWord {
  if (result === 'temperr') return 'temperror';
  if (result === 'skipped') return 'none';
  return result as AuthResultWord;
}

/** `::ffff:127.0.0.1` (how Node reports IPv4 on a dual-stack socket) is the IPv4 address SPF should see. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
