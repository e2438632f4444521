import type { ServerContext } from '../shared/server-context.js';
import { compileFilter } from '../store/query.js';
import type { MessageFilter } from '../store/query.js';
import { WaitTimeoutError, defaultWaitMs } from '../store/message-waiter.js';

export { defaultWaitMs };
import type { SincePoint } from '../store/message-waiter.js';
import type { StoredMessage } from '../store/types.js';
import type { WaitOptions } from './types.js';
import { describeFilter } from './client-filter.js';

/** Arrivals listed in a timeout error; enough to see what went wrong, short enough to read in a test report. */
const listedArrivals = 10;

/**
 * Waits for `count` messages matching `filter`, driven by store events (never polling). By default only mail
 * that arrives after the call counts; `since: 'start'` counts what is already stored, a message id or a Date
 * counts what came after it. On timeout it rejects with a {@link WaitTimeoutError} whose message lists what did
 * arrive, so a failing test explains itself.
 */
export async function waitForMessages(ctx: ServerContext, filter: MessageFilter, options: WaitOptions = {}): Promise<StoredMessage[]> {
  const { store, config } = ctx;
  const timeoutMs = options.timeout ?? defaultWaitMs;
  const count = options.count ?? 1;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > config.limits.maxWaitMs) {
    throw new RangeError(`timeout must be between 1 and ${config.limits.maxWaitMs} ms, got ${String(timeoutMs)}`);
  }
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a whole number >= 1, got ${String(count)}`);
  const since = resolveSince(ctx, options.since);
  const predicate = compileFilter(filter, { lowerBodyText: ctx.lowerBodyText });
  const match = (m: StoredMessage) => predicate(m, store);
  try {
    return await ctx.waiters.wait({ match, count, since, timeoutMs, signal: options.signal });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const before = 'seq' in since && options.since === undefined ? countBefore(ctx, since.seq, match) : 0;
    throw new WaitTimeoutError(describeTimeout(filter, count, timeoutMs, err, before), err.found, err.arrived, err.arrivedCount);
  }
}

/** `'start'` → everything; a Date → received at or after it; a message id → stored after it; default → from now on. */
export function resolveSince(ctx: ServerContext, since: WaitOptions['since']): SincePoint {
  if (since === undefined) return { seq: ctx.store.lastSeq };
  if (since === 'start') return { seq: 0 };
  if (since instanceof Date) {
    if (Number.isNaN(since.getTime())) throw new RangeError('since is an invalid Date');
    // Inclusive: `const t = new Date(); await app.send()` often stores the mail within the same millisecond as
    // `t`, and that mail came after the caller's point in time. (The store counts strictly after `time`.)
    return { time: since.getTime() - 1 };
  }
  const m = ctx.store.get(since);
  if (!m) throw new RangeError(`since: no message with id ${JSON.stringify(since)} (pass 'start', a Date or a stored message id)`);
  return { seq: m.seq };
}

function countBefore(ctx: ServerContext, seq: number, match: (m: StoredMessage) => boolean): number {
  let n = 0;
  for (const m of ctx.store.newestFirst()) if (m.seq <= seq && match(m)) n++;
  return n;
}

function describeTimeout(filter: MessageFilter, count: number, timeoutMs: number, err: WaitTimeoutError, before: number): string {
  const what = `${count} message${count === 1 ? '' : 's'} matching ${describeFilter(filter)}`;
  const lines = [`waitForMessage timed out after ${timeoutMs} ms waiting for ${what}; ${err.found.length} matched.`];
  if (err.arrivedCount === 0) lines.push('No message arrived meanwhile.');
  else {
    lines.push(`${err.arrivedCount} message${err.arrivedCount === 1 ? '' : 's'} arrived meanwhile:`);
    for (const m of err.arrived.slice(0, listedArrivals)) lines.push(`  - ${describeMessage(m)}`);
    if (err.arrivedCount > listedArrivals) lines.push(`  … and ${err.arrivedCount - listedArrivals} more`);
  }
  if (before > 0) {
    lines.push(`${before} matching message${before === 1 ? ' was' : 's were'} already stored before the wait began; pass { since: 'start' } to count ${before === 1 ? 'it' : 'them'}.`);
  }
  return lines.join('\n');
}

/** `"Subject" from a@x to b@y, c@z` — one line per message in a timeout report. */
export function describeMessage(m: StoredMessage): string {
  const to = [...new Set([...m.summary.to.map((a) => a.address), ...m.envelope.rcptTo])].join(', ') || '(no recipients)';
  const from = m.summary.from?.address || m.envelope.mailFrom || '(no sender)';
  return `${JSON.stringify(m.summary.subject)} from ${from} to ${to}`;
}
