/** The IMAP system flags a placement can carry. `\Recent` is per-session state (RFC 3501 §2.3.2), never stored. */
const systemFlags: Readonly<Record<string, string>> = {
  seen: '\\Seen',
  answered: '\\Answered',
  flagged: '\\Flagged',
  deleted: '\\Deleted',
  draft: '\\Draft',
};

/** A keyword must be an IMAP atom (RFC 3501 `flag-keyword`), or clients can't parse the FLAGS lists it appears in. */
const keywordPattern = /^[A-Za-z0-9$_.\-+&!#%'*:;<=>?@^`|~]{1,64}$/;

export class InvalidFlagError extends RangeError {
  constructor(flag: string) {
    super(`Invalid flag ${JSON.stringify(flag.slice(0, 70))}: use \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft or a keyword atom like $Label1`);
    this.name = 'InvalidFlagError';
  }
}

/**
 * Canonical form of a flag given when seeding mail (library `deliver()`, `POST /api/v1/messages`): system flags in
 * their RFC spelling whatever the case (`\seen`, and `seen` without the backslash, both mean `\Seen`), keywords as
 * given. Throws InvalidFlagError for `\Recent`, unknown `\` flags and keywords that aren't atoms.
 */
export function normalizeFlag(flag: string): string {
  const system = systemFlags[flag.replace(/^\\/, '').toLowerCase()];
  if (system) return system;
  if (flag.startsWith('\\') || !keywordPattern.test(flag)) throw new InvalidFlagError(flag);
  return flag;
}

/** normalizeFlag() over a list, without duplicates. */
export function normalizeFlags(flags: readonly string[]): string[] {
  return [...new Set(flags.map(normalizeFlag))];
}
