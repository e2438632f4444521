import { describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.js';
import { cachedLowerBodyText, compileFilter, maxQueryTerms, parseQuery, parseQueryDate } from '../../src/store/query.js';
import type { MessageFilter } from '../../src/store/query.js';
import { cpuMillis } from './cpu-time.js';

describe('parseQuery', () => {
  it.each([
    ['', []],
    ['   ', []],
    ['hello', [{ key: 'word', value: 'hello', negated: false }]],
    ['Hello World', [{ key: 'word', value: 'hello', negated: false }, { key: 'word', value: 'world', negated: false }]],
    ['"reset link"', [{ key: 'word', value: 'reset link', negated: false }]],
    ['from:Alice', [{ key: 'from', value: 'alice', negated: false }]],
    ['to:ann@example.test cc:carl', [{ key: 'to', value: 'ann@example.test', negated: false }, { key: 'cc', value: 'carl', negated: false }]],
    ['subject:"Your code"', [{ key: 'subject', value: 'your code', negated: false }]],
    ['mailbox:Ann@Example.test', [{ key: 'mailbox', value: 'ann@example.test', negated: false }]],
    ['is:read is:unread has:attachment', [{ key: 'read', value: '', negated: false }, { key: 'unread', value: '', negated: false }, { key: 'attachment', value: '', negated: false }]],
    ['-is:read', [{ key: 'read', value: '', negated: true }]],
    ['-from:spam -"buy now"', [{ key: 'from', value: 'spam', negated: true }, { key: 'word', value: 'buy now', negated: true }]],
    ['FROM:x', [{ key: 'from', value: 'x', negated: false }]],
  ])('parses %j', (input, expected) => {
    expect(parseQuery(input)).toEqual(expected);
  });

  it('parses dates as YYYY-MM-DD (midnight UTC) or ISO timestamps', () => {
    expect(parseQuery('before:2026-01-02')).toEqual([{ key: 'before', value: '2026-01-02', negated: false, time: Date.UTC(2026, 0, 2) }]);
    expect(parseQuery('after:2026-01-02T10:00:00Z')[0].time).toBe(Date.UTC(2026, 0, 2, 10));
    expect(parseQueryDate('2026-13-45')).toBeNull();
    expect(parseQueryDate('yesterday')).toBeNull();
  });

  it.each([
    ['before:someday', [{ key: 'word', value: 'before:someday', negated: false }]],
    ['is:flagged', [{ key: 'word', value: 'is:flagged', negated: false }]],
    ['has:nothing', [{ key: 'word', value: 'has:nothing', negated: false }]],
    ['foo:bar', [{ key: 'word', value: 'foo:bar', negated: false }]],
    ['from:', [{ key: 'word', value: 'from:', negated: false }]],
    ['-', [{ key: 'word', value: '-', negated: false }]],
    ['- x', [{ key: 'word', value: '-', negated: false }, { key: 'word', value: 'x', negated: false }]],
    ['"unbalanced quote', [{ key: 'word', value: 'unbalanced quote', negated: false }]],
    ['subject:"unbalanced', [{ key: 'subject', value: 'unbalanced', negated: false }]],
    ['""', []],
    ['http://x.test/a?b=c', [{ key: 'word', value: 'http://x.test/a?b=c', negated: false }]],
  ])('degrades %j to words without throwing', (input, expected) => {
    expect(parseQuery(input)).toEqual(expected);
  });

  it('never throws and stays bounded on hostile input', () => {
    const hostile = ['"'.repeat(100_000), '-'.repeat(100_000), 'from:'.repeat(50_000), 'a '.repeat(100_000), '\u0000\uffff\ud800', ':::::'];
    for (const input of hostile) {
      const { result: terms, ms } = cpuMillis(() => parseQuery(input));
      expect(terms.length).toBeLessThanOrEqual(maxQueryTerms);
      expect(ms).toBeLessThan(500);
    }
    expect(parseQuery(undefined as unknown as string)).toEqual([{ key: 'word', value: 'undefined', negated: false }]);
  });
});

function storeWith() {
  const store = new MessageStore({ maxMessages: 0 });
  const add = (headers: string, body: string, rcpt: string[], extra: { mailFrom?: string; receivedAt?: Date } = {}) =>
    store.deliver({
      raw: Buffer.from(`${headers.trim().split('\n').join('\r\n')}\r\n\r\n${body}\r\n`),
      envelope: { mailFrom: extra.mailFrom ?? '', rcptTo: rcpt },
      source: 'api',
      receivedAt: extra.receivedAt,
    });
  const reset = add('From: Alice Smith <alice@example.test>\nTo: Ann <ann@example.test>\nCc: carl@example.test\nSubject: Reset your password', 'Click the link to reset.', ['ann@example.test', 'carl@example.test', 'hidden@example.test'], { receivedAt: new Date('2026-01-01T12:00:00Z') });
  const welcome = add('From: bob@example.test\nTo: dave@example.test\nSubject: Welcome aboard\nContent-Type: multipart/mixed; boundary=b', '--b\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nhi\r\n--b--', ['dave@example.test'], { mailFrom: 'bounces@mailer.test', receivedAt: new Date('2026-02-01T12:00:00Z') });
  store.setSeen(welcome.id, true);
  return { store, reset, welcome };
}

describe('compileFilter', () => {
  const { store, reset, welcome } = storeWith();
  const ids = (filter: MessageFilter) => [...store.newestFirst()].filter((m) => compileFilter(filter)(m, store)).map((m) => (m === reset ? 'reset' : m === welcome ? 'welcome' : '?'));

  it.each<[string, string[]]>([
    ['', ['welcome', 'reset']],
    ['reset', ['reset']],
    ['RESET password', ['reset']],
    ['reset welcome', []],
    ['"to reset"', ['reset']],
    ['click', ['reset']],
    ['from:alice', ['reset']],
    ['from:"alice smith"', ['reset']],
    ['from:bounces@mailer', ['welcome']],
    ['to:ann', ['reset']],
    ['to:carl', ['reset']],
    ['to:hidden@example.test', ['reset']],
    ['cc:carl', ['reset']],
    ['cc:ann', []],
    ['subject:welcome', ['welcome']],
    ['mailbox:dave@example.test', ['welcome']],
    ['mailbox:dave', []],
    ['is:read', ['welcome']],
    ['is:unread', ['reset']],
    ['-is:read', ['reset']],
    ['has:attachment', ['welcome']],
    ['-has:attachment', ['reset']],
    ['before:2026-01-15', ['reset']],
    ['after:2026-01-15', ['welcome']],
    ['after:2026-02-01', ['welcome']],
    ['before:2026-01-01T12:00:00Z', []],
    ['-from:alice -subject:reset', ['welcome']],
    ['ann@example.test', ['reset']],
  ])('query %j matches %j', (query, expected) => {
    expect(ids({ query })).toEqual(expected);
  });

  it.each<[MessageFilter, string[]]>([
    [{ from: 'ALICE' }, ['reset']],
    [{ from: /^alice@/ }, ['reset']],
    [{ from: /Alice Smith <alice@example\.test>/ }, ['reset']],
    [{ to: 'hidden@example.test' }, ['reset']],
    [{ to: /dave/ }, ['welcome']],
    [{ subject: /reset/i }, ['reset']],
    [{ subject: 'aboard' }, ['welcome']],
    [{ text: 'click the link' }, ['reset']],
    [{ text: /link to \w+/ }, ['reset']],
    [{ mailbox: 'ANN@example.test' }, ['reset']],
    [{ mailbox: 'ann@example.test', subject: 'welcome' }, []],
    [{ query: 'is:unread', to: 'ann' }, ['reset']],
  ])('structured filter %o matches %j', (filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });

  it('tests a global RegExp from the start for every message', () => {
    const re = /e/g;
    expect(ids({ subject: re })).toEqual(['welcome', 'reset']);
    expect(ids({ subject: re })).toEqual(['welcome', 'reset']);
  });
});

describe('cachedLowerBodyText', () => {
  it('decodes each message once and stays within its character budget', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const deliver = (body: string) => store.deliver({ raw: Buffer.from(`Subject: x\r\n\r\n${body}\r\n`), envelope: { mailFrom: '', rcptTo: ['a@x.test'] }, source: 'api' });
    const a = deliver('a'.repeat(60));
    const b = deliver('b'.repeat(60));
    const text = cachedLowerBodyText(100);
    const first = text(a);
    expect(first).toContain('aaaa');
    expect(text(a)).toBe(first);
    expect(text(b)).toContain('bbbb');
    // The budget (100 chars) holds one of the two; a, now evicted, is decoded again — an equal, new string.
    expect(compileFilter({ query: 'aaaa' }, { lowerBodyText: text })(a, store)).toBe(true);
    expect(compileFilter({ query: 'aaaa' }, { lowerBodyText: text })(b, store)).toBe(false);
  });
});
