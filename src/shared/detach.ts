/**
 * A copy of the string that does not share memory with the text it was cut from. V8 keeps a substring (`slice`,
 * `split`, a regex match) as a view into its parent, so keeping a short piece would keep the whole parent alive:
 * 2,000 characters kept of a 60 KB command line held all 60 KB.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}
