/**
 * Vitest matchers for mailsandbox. Importing this module registers them on vitest's `expect`:
 * @example
 * import 'mailsandbox/vitest';
 * await expect(sandbox).toHaveReceivedMail({ to: 'ann@example.test', subject: /welcome/i });
 *
 * Or register them yourself (e.g. in a setup file): `expect.extend(mailMatchers)`.
 */
// Kept in the emitted .d.ts (preserve): without a reference to 'vitest' there, the `declare module 'vitest'`
// augmentation below does not reach a consumer's `expect` and `toHaveReceivedMail` is a type error for them.
/// <reference types="vitest" preserve="true" />
import { expect } from 'vitest';
import { mailMatchers } from './mail-matchers.js';
import { checkMatchers } from './check-matchers.js';
import type { MessageFilter } from '../api/types.js';
import type { ReceivedMailOptions } from './mail-matchers.js';

export { mailMatchers, defaultReceivedMailTimeout, formatFilter, formatHeadline } from './mail-matchers.js';
export type { MailSource, ReceivedMailOptions } from './mail-matchers.js';

expect.extend(mailMatchers);
expect.extend(checkMatchers);
export { checkMatchers } from './check-matchers.js';

/** The matchers' signatures as `expect(x)` exposes them; they are async, so always `await` them. */
export interface MailMatchers<R = unknown> {
  /**
   * Passes when the sandbox or client holds a message matching `filter`, waiting up to `timeout` ms
   * (default 2 s; `.not` looks once unless given a timeout).
   */
  toHaveReceivedMail(filter?: MessageFilter | string, options?: ReceivedMailOptions): Promise<R>;
  /** On a checks report (`await sandbox.check(id)`): one DKIM signature passes and none fails. */
  toPassDkim(): Promise<R>;
  /** On a checks report: the HTML compatibility score is at least `min`; the failure lists the worst features. */
  toHaveHtmlScoreAtLeast(min: number): Promise<R>;
  /** On a checks report: no accessibility finding of severity error; the failure lists each with its element. */
  toHaveNoAccessibilityErrors(): Promise<R>;
}

// Only `Assertion` (what `expect(x)` returns), not `AsymmetricMatchersContaining`: an asymmetric matcher
// (`expect.toHaveReceivedMail(...)` inside `toEqual`) must answer synchronously, and this one waits for mail.
declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unused-vars
  interface Assertion<T = any> extends MailMatchers<void> {}
}
