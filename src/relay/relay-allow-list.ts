/**
 * Which recipients the relay may send to (SPEC §15): patterns like `*@example.com`, `qa+*@corp.test` or an exact
 * address, `*` matching any run of characters, compared case-insensitively. An empty list allows nothing — a
 * sandbox must never mail a real customer by accident.
 */
export class RelayAllowList {
  readonly #patterns: RegExp[];

  constructor(readonly patterns: readonly string[]) {
    this.#patterns = patterns.map(compilePattern);
  }

  allows(address: string): boolean {
    const a = address.trim().toLowerCase();
    return this.#patterns.some((p) => p.test(a));
  }

  /** The addresses of `to` the list refuses, in order. */
  refused(to: readonly string[]): string[] {
    return to.filter((a) => !this.allows(a));
  }
}

function compilePattern(pattern: string): RegExp {
  const body = pattern
    .trim()
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** `a@x, *@y` → `['a@x', '*@y']`. */
export function parseAllowPatterns(value: string): string[] {
  return value
    .split(/[,\s]+/)
    .map((p) => p.trim())
    .filter(Boolean);
}
