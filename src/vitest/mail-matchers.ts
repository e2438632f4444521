import type { Address, MessageFilter, MessageSummary, WaitOptions } from '../api/types.js';

/**
 * What the matchers read: the in-process `Sandbox` (createSandbox) and the HTTP client (createClient) both fit.
 * `messages()` may answer synchronously (in-process) or with a promise (over HTTP).
 */
export interface MailSource {
  messages(filter?: MessageFilter | string): MessageSummary[] | Promise<MessageSummary[]>;
  waitForMessage(filter?: MessageFilter | string, options?: WaitOptions): Promise<MailHeadline>;
}

/** The fields a failure message shows; summaries and full messages both have them. */
type MailHeadline = Pick<MessageSummary, 'from' | 'to' | 'subject'> & Partial<Pick<MessageSummary, 'mailboxes' | 'receivedAt'>>;

export interface ReceivedMailOptions {
  /**
   * How long to wait (ms) for matching mail that has not arrived yet. Mail stored before the assertion always
   * counts. Default {@link defaultReceivedMailTimeout} for `toHaveReceivedMail`, and 0 (look once, no waiting)
   * for `.not.toHaveReceivedMail` — give `.not` a timeout to assert that nothing arrives during that time.
   */
  timeout?: number;
}

/** Long enough for mail an app sent just before the assertion; short enough that a failing test fails fast. */
export const defaultReceivedMailTimeout = 2_000;

/** How many arrived messages a failure message lists. */
const shownInFailure = 10;

interface MatcherContext {
  isNot: boolean;
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * The mail matchers, for `expect.extend(mailMatchers)` (importing `mailsandbox/vitest` does that for you).
 *
 * `toHaveReceivedMail(filter?, { timeout? })` passes when a stored message matches `filter` (same filter as
 * `waitForMessage`: `to`, `from`, `subject`, `text` as substrings or RegExps, `query`, `mailbox`). Mail that
 * arrived before the assertion counts (it waits with `since: 'start'`); mail still on its way is waited for, up to
 * `timeout` ms. On failure it lists what did arrive.
 * @example
 * await expect(sandbox).toHaveReceivedMail({ to: 'ann@example.test', subject: /reset/i });
 * await expect(client).not.toHaveReceivedMail({ to: 'bob@example.test' });
 */
export const mailMatchers = {
  async toHaveReceivedMail(
    this: MatcherContext,
    received: unknown,
    filter: MessageFilter | string = {},
    options: ReceivedMailOptions = {},
  ): Promise<MatcherResult> {
    const source = asMailSource(received);
    const timeout = options.timeout ?? (this.isNot ? 0 : defaultReceivedMailTimeout);
    const wanted = formatFilter(filter);
    const outcome = await findMatch(source, filter, timeout);
    if (outcome.match) {
      const match = outcome.match;
      return {
        pass: true,
        message: () => `expected no mail matching ${wanted}, but this arrived:\n  ${formatHeadline(match)}`,
      };
    }
    const arrived = await listArrived(source);
    const waited = timeout > 0 ? ` within ${timeout} ms` : '';
    const why = outcome.error ? `\n(waiting failed: ${outcome.error})` : '';
    return {
      pass: false,
      message: () => `expected mail matching ${wanted}${waited}, but ${arrived}${why}`,
    };
  },
};

function asMailSource(value: unknown): MailSource {
  const v = value as Partial<MailSource> | null;
  if (v && typeof v.messages === 'function' && typeof v.waitForMessage === 'function') return v as MailSource;
  throw new TypeError(
    `toHaveReceivedMail expects a sandbox (createSandbox()) or a client (createClient(url)), received ${describeValue(value)}`,
  );
}

async function findMatch(source: MailSource, filter: MessageFilter | string, timeout: number): Promise<{ match?: MailHeadline; error?: string }> {
  if (timeout <= 0) {
    const [first] = await source.messages(filter);
    return { match: first };
  }
  try {
    return { match: await source.waitForMessage(filter, { since: 'start', timeout }) };
  } catch (err) {
    // A timeout is the ordinary "not received"; anything else (a refused connection) is worth showing.
    return { error: isTimeout(err) ? undefined : ((err as Error).message ?? String(err)) };
  }
}

/** WaitTimeoutError in-process; over HTTP a 408 from `/messages/wait`, however the client words it. */
function isTimeout(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; status?: unknown; message?: unknown };
  if (e?.code === 'WAIT_TIMEOUT' || e?.name === 'WaitTimeoutError' || e?.status === 408) return true;
  return typeof e?.message === 'string' && /timed out|timeout/i.test(e.message);
}

async function listArrived(source: MailSource): Promise<string> {
  let all: MessageSummary[];
  try {
    all = await source.messages({});
  } catch (err) {
    return `the stored mail could not be listed: ${(err as Error).message}`;
  }
  if (all.length === 0) return 'no mail arrived at all';
  const shown = all.slice(0, shownInFailure).map((m) => `  - ${formatHeadline(m)}`);
  if (all.length > shownInFailure) shown.push(`  ... and ${all.length - shownInFailure} older`);
  const noun = all.length === 1 ? 'message' : 'messages';
  return `${all.length} other ${noun} arrived (newest first):\n${shown.join('\n')}`;
}

/** `{ to: 'ann@example.test', subject: /reset/i }` */
export function formatFilter(filter: MessageFilter | string): string {
  if (typeof filter === 'string') return `query ${JSON.stringify(filter)}`;
  const parts = Object.entries(filter)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v instanceof RegExp ? String(v) : JSON.stringify(v)}`);
  return parts.length ? `{ ${parts.join(', ')} }` : 'any filter';
}

/** `from alice@example.test to ann@example.test, bob@example.test: "Reset your password"` */
export function formatHeadline(m: MailHeadline): string {
  const to = m.to.length ? m.to.map(formatAddress) : (m.mailboxes ?? []);
  return `from ${m.from ? formatAddress(m.from) : '(no From)'} to ${to.join(', ') || '(no recipients)'}: ${JSON.stringify(m.subject)}`;
}

function formatAddress(a: Address): string {
  return a.address || a.name || '(empty)';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object without messages()/waitForMessage() (${Object.keys(value).slice(0, 5).join(', ') || 'no keys'})`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
