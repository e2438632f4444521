import { describe, expect, it } from 'vitest';
import { MailpitSearchError, toOurQuery } from '../../src/http/compat/mailpit-search.js';
import { parseQuery } from '../../src/store/query.js';

describe("Mailpit's search syntax rewritten onto the query language", () => {
  it.each([
    ['to:ann@example.test subject:"Your code"', 'to:ann@example.test subject:"Your code"'],
    ['!is:read', '-is:read'],
    ['-from:billing', '-from:billing'],
    ['addressed:ann@x', 'to:ann@x'],
    ['BCC:audit@x', 'to:audit@x'],
    ['!addressed:"Ann Lee"', '-to:"Ann Lee"'],
    ['"a phrase"  word', '"a phrase" word'],
    ['tag:"needs review" has:attachment after:2026-01-01', 'tag:"needs review" has:attachment after:2026-01-01'],
    ['!', '!'],
    ['', ''],
  ])('%j becomes %j', (mailpit, ours) => {
    expect(toOurQuery(mailpit)).toBe(ours);
  });

  it('keeps each rewritten term one term of our parser (quotes and negation survive)', () => {
    expect(parseQuery(toOurQuery('!addressed:"Ann Lee" subject:"two words"'))).toEqual([
      { key: 'to', value: 'ann lee', negated: true },
      { key: 'subject', value: 'two words', negated: false },
    ]);
  });

  it.each(['message-id:abc@x', 'reply-to:x@y', 'is:tagged', '-has:inline', 'larger:1M', '!smaller:10k'])('refuses %j, which has no counterpart here', (term) => {
    expect(() => toOurQuery(`subject:x ${term}`)).toThrow(MailpitSearchError);
  });
});
