import type { StoredMessage } from '../store/types.js';
import { offloadBytes } from './parse-pool.js';
import type { ServerContext } from './server-context.js';

type LowerBodyText = (m: StoredMessage) => string;

/**
 * Runs `scan`, a synchronous pass over messages that may read their lower-cased body text (a query's words), without
 * decoding a large message's text on this thread (SPEC §10 event-loop budget: the text of a 5,000-part or 1 MB HTML
 * message takes 50–250 ms). A first pass reads the texts that are cached or small, and notes the large ones that
 * are not (reading them as ''); if there were any, their texts are made in the parse pool and `scan` runs again
 * with every text at hand. `scan` must have no side effects: the first pass's result is thrown away then.
 */
export async function scanWithBodyTexts<T>(ctx: ServerContext, scan: (lowerBodyText: LowerBodyText) => T): Promise<T> {
  const { lowerBodyText, parsePool } = ctx;
  const missing: StoredMessage[] = [];
  const first = scan((m) => {
    const hit = lowerBodyText.peek(m);
    if (hit !== undefined) return hit;
    if (m.size < offloadBytes) return lowerBodyText(m);
    missing.push(m);
    return '';
  });
  if (missing.length === 0) return first;
  const fetched = new Map<StoredMessage, string>();
  await Promise.all(
    missing.map(async (m) => {
      // A parse that failed (timed out, worker died) searches as an empty body rather than blocking here.
      const text = await parsePool.run('body-text', m.raw).catch(() => '');
      fetched.set(m, text);
      lowerBodyText.remember(m, text);
    }),
  );
  return scan((m) => fetched.get(m) ?? lowerBodyText(m));
}
