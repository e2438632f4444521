/** Where and how to reach the relay, from `--relay smtp[s]://user:pass@host:port[?starttls=required][&verify=false]`. */
export interface RelayTarget {
  host: string;
  port: number;
  /** Implicit TLS (`smtps://`). */
  secure: boolean;
  user?: string;
  pass?: string;
  /** `starttls=required`: refuse to send unless the relay upgrades with STARTTLS. */
  requireTls: boolean;
  /** `starttls=never`: do not upgrade even when offered. */
  ignoreTls: boolean;
  /** `verify=false` turns certificate checks off; otherwise Node's CA store and `NODE_EXTRA_CA_CERTS` decide. */
  verifyCertificate: boolean;
  /** `smtp://host:port` with no credentials: what the UI, the API and the logs show. */
  display: string;
}

/**
 * Parses a relay URL. Pure; throws an Error whose message says what is wrong (config turns it into a start-up problem).
 * Default ports follow the submission conventions: 587 for `smtp://`, 465 for `smtps://`.
 * @example parseRelayUrl('smtp://me:secret@mail.example.com:587?starttls=required')
 */
export function parseRelayUrl(value: string): RelayTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`relay must be a URL like smtp://user:pass@host:587, got ${JSON.stringify(redact(value))}`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error(`relay URL must start with smtp:// or smtps://, got ${url.protocol}//`);
  if (!url.hostname) throw new Error('relay URL needs a host');
  const secure = url.protocol === 'smtps:';
  const port = url.port ? Number(url.port) : secure ? 465 : 587;
  const params = url.searchParams;
  for (const key of params.keys()) if (key !== 'starttls' && key !== 'verify') throw new Error(`relay URL: unknown parameter ${key} (known: starttls, verify)`);
  const starttls = params.get('starttls') ?? 'auto';
  if (!['auto', 'required', 'never'].includes(starttls)) throw new Error(`relay URL: starttls must be required or never, got ${starttls}`);
  if (secure && starttls !== 'auto') throw new Error('relay URL: starttls applies to smtp://, not smtps:// (which is TLS from the start)');
  const verify = params.get('verify') ?? 'true';
  if (verify !== 'true' && verify !== 'false') throw new Error(`relay URL: verify must be true or false, got ${verify}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    secure,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    pass: url.password ? decodeURIComponent(url.password) : undefined,
    requireTls: starttls === 'required',
    ignoreTls: starttls === 'never',
    verifyCertificate: verify === 'true',
    display: `${url.protocol}//${url.hostname}:${port}`,
  };
}

/** The URL with its password hidden, for error messages. */
function redact(value: string): string {
  return value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
