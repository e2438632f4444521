import { randomFillSync } from 'node:crypto';

/** Base 64 in ASCII order (`-`, digits, upper case, `_`, lower case): ids compare as strings the way their numbers do. */
const digits = Buffer.from('-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz', 'latin1');
const id = Buffer.alloc(16);

/** Random bytes drawn in batches: randomBytes() per id would cost a system call on every message ingested. */
const pool = Buffer.alloc(6 * 512);
let pooled = 0;

/**
 * A fresh message id: 16 URL-safe characters, the arrival millisecond (8 characters, 48 bits) then 48 random bits.
 * Ids of later messages sort after earlier ones, so the stores' indexes keyed by id (SQLite's and PostgreSQL's
 * B-trees) grow at their right edge instead of dirtying a random page per message; the random half keeps ids
 * unique across the nodes of a shared store (two ids of one millisecond collide with odds of 2^-48).
 */
export function newMessageId(now = Date.now()): string {
  if (pooled === 0) {
    randomFillSync(pool);
    pooled = pool.length;
  }
  pooled -= 6;
  // Written as bytes and read as one string: sixteen concatenations would make sixteen strings per message.
  let at = 0;
  // The time, most significant digit first (6 bits each); 2^48 ms reaches the year 10889. Split into two 24-bit
  // halves so each digit is integer arithmetic (a power and a division of doubles per digit showed in the profile).
  const high = Math.floor(now / 2 ** 24) & 0xffffff;
  const low = now % 2 ** 24;
  for (let shift = 18; shift >= 0; shift -= 6) id[at++] = digits[(high >>> shift) & 63];
  for (let shift = 18; shift >= 0; shift -= 6) id[at++] = digits[(low >>> shift) & 63];
  for (let i = pooled; i < pooled + 6; i += 3) {
    const n = (pool[i] << 16) | (pool[i + 1] << 8) | pool[i + 2];
    id[at++] = digits[n >>> 18];
    id[at++] = digits[(n >>> 12) & 63];
    id[at++] = digits[(n >>> 6) & 63];
    id[at++] = digits[n & 63];
  }
  return (lastIssued = id.toString('latin1'));
}

/** The id newMessageId() returned last. */
let lastIssued = '';

/**
 * Whether `id` is the one newMessageId() returned last, not asked about before: an id the store need not look up
 * before taking it, as it takes the ids it makes itself (48 random bits after the millisecond). SMTP makes the id
 * before delivering, to name it in its reply; a lookup in a map of every message cost ~0.4 µs per message ingested
 * (a cache miss or two). True once per id, so the same id given again is looked up.
 */
export function takeJustIssued(id: string): boolean {
  if (id !== lastIssued) return false;
  lastIssued = '';
  return true;
}
