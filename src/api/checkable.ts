import type { CheckName, CheckResults, ChecksReport } from '../checks/message-checks.js';

/**
 * The `checks()` method of the messages the library hands out (SPEC §14): `await msg.checks()` for every check, or
 * `await msg.checks('html')` for one — the same as `sandbox.check(msg.id)` / `client.check(msg.id)`.
 * @example
 * const msg = await sandbox.waitForMessage({ to: 'ann@example.test' });
 * const { score } = await msg.checks('html');
 * await expect(msg).toPassDkim(); // the matchers call checks() themselves
 */
export interface Checkable {
  checks(): Promise<ChecksReport>;
  checks<K extends CheckName>(name: K): Promise<CheckResults[K]>;
}

export type CheckRunner = (id: string, name?: CheckName) => Promise<unknown>;

/**
 * Gives a message object its `checks()` method. The method is not enumerable: the object still serialises, spreads
 * and compares (`toEqual`) exactly as the plain data the HTTP API returns.
 */
export function withChecks<T extends { id: string }>(message: T, run: CheckRunner): T & Checkable {
  const checks = (name?: CheckName) => run(message.id, name);
  Object.defineProperty(message, 'checks', { value: checks, enumerable: false, writable: true, configurable: true });
  return message as T & Checkable;
}
