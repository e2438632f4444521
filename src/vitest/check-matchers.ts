import type { AccessibilityResult } from '../checks/accessibility.js';
import type { AuthCheckResult } from '../checks/auth-check.js';
import type { HtmlCompatResult } from '../checks/html-compat.js';

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * What the check matchers accept: a report from `sandbox.check(id)` / `client.check(id)`, the one check's result
 * (`sandbox.check(id, 'auth')`), or anything with a `checks()` method that resolves to a report.
 */
type Checked = { auth?: unknown; html?: unknown; accessibility?: unknown } | { checks(): Promise<unknown> };

async function part<T>(received: unknown, name: 'auth' | 'html' | 'accessibility', looksLike: (v: unknown) => boolean): Promise<T> {
  let v = received as Record<string, unknown> | null;
  if (v && typeof (v as { checks?: unknown }).checks === 'function') v = (await (v as { checks(): Promise<Record<string, unknown>> }).checks()) ?? null;
  if (looksLike(v)) return v as T;
  const inner = v?.[name] as { error?: { message?: string } } | undefined;
  if (inner?.error) throw new Error(`The ${name} check did not run: ${inner.error.message ?? 'error'}`);
  if (looksLike(inner)) return inner as T;
  throw new TypeError(`expected a checks report (await sandbox.check(id)) or its "${name}" result, got ${typeof received}`);
}

const isAuth = (v: unknown): boolean => Array.isArray((v as AuthCheckResult | null)?.dkim);
const isHtml = (v: unknown): boolean => typeof (v as HtmlCompatResult | null)?.score === 'number';
const isA11y = (v: unknown): boolean => Array.isArray((v as AccessibilityResult | null)?.findings);

/**
 * Matchers over message checks (SPEC §14), for `expect.extend(checkMatchers)` (done by `mailsandbox/vitest`).
 * @example
 * const report = await sandbox.check(msg.id);
 * await expect(report).toPassDkim();
 * await expect(report).toHaveHtmlScoreAtLeast(80);
 * await expect(report).toHaveNoAccessibilityErrors();
 */
export const checkMatchers = {
  /** Passes when at least one DKIM signature verifies and none fails. */
  async toPassDkim(received: Checked): Promise<MatcherResult> {
    const auth = await part<AuthCheckResult>(received, 'auth', isAuth);
    const pass = auth.dkim.some((d) => d.result === 'pass') && !auth.dkim.some((d) => d.result === 'fail');
    const list = auth.dkim.length ? auth.dkim.map((d) => `  - d=${d.domain} s=${d.selector}: ${d.result}${d.reason ? ` (${d.reason})` : ''}`).join('\n') : '  (the message has no DKIM signature)';
    return { pass, message: () => (pass ? `expected DKIM not to pass, but it did:\n${list}` : `expected DKIM to pass; signatures:\n${list}`) };
  },

  async toHaveHtmlScoreAtLeast(received: Checked, min: number): Promise<MatcherResult> {
    const html = await part<HtmlCompatResult>(received, 'html', isHtml);
    const pass = html.score >= min;
    const worst = [...html.warnings].sort((a, b) => b.support.no - a.support.no).slice(0, 10);
    const list = worst.map((w) => `  - ${w.title} (${w.feature}): not supported by ${w.support.no} %, partly by ${w.support.partial} %`).join('\n');
    return { pass, message: () => (pass ? `expected an HTML compatibility score below ${min}, got ${html.score}` : `expected an HTML compatibility score of at least ${min}, got ${html.score}; the least supported features:\n${list}`) };
  },

  /** Passes when no finding has severity `error` (layout-table advice is a warning). */
  async toHaveNoAccessibilityErrors(received: Checked): Promise<MatcherResult> {
    const a11y = await part<AccessibilityResult>(received, 'accessibility', isA11y);
    const errors = a11y.findings.filter((f) => f.severity === 'error');
    const list = errors.map((f) => `  - ${f.rule}: ${f.message}${f.element ? ` at ${f.element.path} ${f.element.snippet}` : ''}`).join('\n');
    return { pass: errors.length === 0, message: () => (errors.length ? `expected no accessibility errors, found ${errors.length}:\n${list}` : 'expected accessibility errors, found none') };
  },
};
