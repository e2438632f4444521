/**
 * The relay allow-list's rule, for showing before sending which recipients the server will refuse: `*` matches any
 * run of characters, compared case-insensitively (the server's RelayAllowList decides; this only previews it).
 */
export function isAllowed(patterns: readonly string[], address: string): boolean {
  const a = address.trim().toLowerCase();
  return patterns.some((p) => {
    const body = p
      .trim()
      .toLowerCase()
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    return new RegExp(`^${body}$`).test(a);
  });
}
