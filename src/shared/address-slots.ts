/**
 * Connections per remote address on one listener. One address may hold at most `limits.maxConnectionsPerAddress`
 * (by default half of the listener's slots, SPEC §10): 201 idle SMTP connections from 127.0.0.2 locked every other
 * client out.
 */
export class AddressSlots {
  readonly #counts = new Map<string, number>();

  constructor(readonly perAddress: number) {}

  count(address: string | undefined): number {
    return this.#counts.get(address ?? '') ?? 0;
  }

  /** Counts a connection in; false (and not counted) when the address already holds `cap` connections. */
  tryTake(address: string | undefined, cap = this.perAddress): boolean {
    const key = address ?? '';
    const n = this.#counts.get(key) ?? 0;
    if (n >= cap) return false;
    this.#counts.set(key, n + 1);
    return true;
  }

  release(address: string | undefined): void {
    const key = address ?? '';
    const n = (this.#counts.get(key) ?? 1) - 1;
    if (n > 0) this.#counts.set(key, n);
    else this.#counts.delete(key);
  }
}
