import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `--users` rule shared by SMTP AUTH, POP3 and IMAP logins. Without users, any password is accepted
 * (and so is any APOP or CRAM-MD5 digest, which can't be checked without a password).
 */
export class Credentials {
  readonly #users: Map<string, string>;

  constructor(users: Readonly<Record<string, string>> | undefined) {
    this.#users = new Map(Object.entries(users ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  }

  /** True when no users are configured: every login succeeds. */
  get isOpen(): boolean {
    return this.#users.size === 0;
  }

  verifyPassword(user: string, password: string): boolean {
    if (this.isOpen) return true;
    const expected = this.#users.get(user.toLowerCase());
    return expected !== undefined && safeEqual(expected, password);
  }

  /** APOP (RFC 1939 §7): digest = md5(timestamp + password), lower-case hex. */
  verifyApop(user: string, timestamp: string, digest: string): boolean {
    if (this.isOpen) return true;
    const expected = this.#users.get(user.toLowerCase());
    if (expected === undefined) return false;
    return safeEqual(createHash('md5').update(timestamp + expected).digest('hex'), digest.toLowerCase());
  }

  /** CRAM-MD5 (RFC 2195): digest = hmac-md5(password, challenge), lower-case hex. */
  verifyCramMd5(user: string, challenge: string, digest: string): boolean {
    if (this.isOpen) return true;
    const expected = this.#users.get(user.toLowerCase());
    if (expected === undefined) return false;
    return safeEqual(createHmac('md5', expected).update(challenge).digest('hex'), digest.toLowerCase());
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
