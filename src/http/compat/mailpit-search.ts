import { maxQueryLength } from '../../store/query.js';

/**
 * Mailpit's search syntax rewritten into our query language (SPEC §8), so one search serves both. Mailpit's terms
 * and ours mostly coincide (`to:`, `from:`, `cc:`, `subject:`, `tag:`, `is:read`, `is:unread`, `has:attachment`,
 * `before:`, `after:`, quoted phrases, `-` negation); the rest is mapped or refused:
 * - `!term` negates like `-term`;
 * - `bcc:` and `addressed:` become `to:`, which matches To, Cc and every envelope recipient (so Bcc'd ones too);
 * - `message-id:`, `reply-to:`, `is:tagged`, `has:inline`, `larger:`, `smaller:` have no counterpart: a
 *   {@link MailpitSearchError}, so a test learns at once instead of getting silently wrong matches.
 */
export class MailpitSearchError extends Error {
  constructor(readonly term: string) {
    super(`The Mailpit search term ${JSON.stringify(term.slice(0, 60))} is not supported by mailsandbox; see the README's Mailpit table`);
    this.name = 'MailpitSearchError';
  }
}

const renamed: Record<string, string> = { bcc: 'to', addressed: 'to' };
const unsupportedKeys = new Set(['message-id', 'reply-to', 'larger', 'smaller']);
const unsupportedFlags = new Set(['is:tagged', 'has:inline', 'has:inlines']);

/** @example toOurQuery('!is:read addressed:ann@x subject:"Your code"') // '-is:read to:ann@x subject:"Your code"' */
export function toOurQuery(mailpit: string): string {
  const out: string[] = [];
  for (const token of tokens(String(mailpit).slice(0, maxQueryLength))) {
    let negated = false;
    let term = token;
    if (term.length > 1 && (term[0] === '-' || term[0] === '!')) {
      negated = true;
      term = term.slice(1);
    }
    const lower = term.toLowerCase();
    const key = /^([a-z-]+):/.exec(lower)?.[1];
    if (unsupportedFlags.has(lower) || (key && unsupportedKeys.has(key))) throw new MailpitSearchError(token);
    if (key && renamed[key]) term = `${renamed[key]}:${term.slice(key.length + 1)}`;
    out.push(`${negated ? '-' : ''}${term}`);
  }
  return out.join(' ');
}

/** Whitespace-separated terms; a quoted stretch (`subject:"two words"`, `"a phrase"`) stays in one term. */
function tokens(text: string): string[] {
  return text.match(/(?:[^\s"]+|"[^"]*"?)+/g) ?? [];
}
