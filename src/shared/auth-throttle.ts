/** The longest a failed authentication is held before its answer (SPEC §10). */
export const maxAuthFailureDelayMs = 2_000;

/**
 * How long the n-th failed authentication on a connection (1-based) waits before it is answered: `baseMs`, doubling
 * with each failure, at most 2 s. With the default 500 ms, three guesses cost 3.5 s and then the connection closes,
 * where 300 guesses took 0.08 s before.
 */
export function authFailureDelay(failures: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, failures - 1), maxAuthFailureDelayMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
