import { randomUUID } from 'node:crypto';

/**
 * A fresh message id: 72 random bits, 12 URL-safe characters. Taken from randomUUID(), whose entropy Node draws in
 * batches: randomBytes() costs a system call per id, several µs on every message ingested.
 */
export function newMessageId(): string {
  const u = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-...: skip the dashes, the version and the variant digit
  return Buffer.from(u.slice(0, 8) + u.slice(9, 13) + u.slice(15, 18) + u.slice(20, 23), 'hex').toString('base64url');
}
