import { describe, expect, it } from 'vitest';
import { arrivalTags, hasTag, maxTagLength, maxTags, normalizeTags, plusDetail } from '../../src/store/tags.js';
import { parseQuery } from '../../src/store/query.js';
import { MessageStore } from '../../src/store/message-store.js';

const raw = (headers: string) => Buffer.from(`${headers}\r\nSubject: t\r\n\r\nbody with X-Tags: not-a-header\r\n`);

describe('normalizeTags', () => {
  it.each([
    [[' a ', 'b'], ['a', 'b']],
    [['QA', 'qa', 'Qa'], ['QA']],
    [['', '  ', 'x'], ['x']],
    [['bad\u0000tag', 'ok'], ['ok']],
    [['Release 2.1'], ['Release 2.1']],
  ])('turns %j into %j', (input, expected) => {
    expect(normalizeTags(input)).toEqual(expected);
  });

  it('cuts over-long tags and keeps at most maxTags', () => {
    expect(normalizeTags(['x'.repeat(500)])[0]).toHaveLength(maxTagLength);
    expect(normalizeTags(Array.from({ length: 80 }, (_, i) => `t${i}`))).toHaveLength(maxTags);
  });

  it('compares case-insensitively in hasTag', () => {
    expect(hasTag(['Signup'], ' SIGNUP ')).toBe(true);
    expect(hasTag(['Signup'], 'sign')).toBe(false);
  });
});

describe('arrivalTags', () => {
  it.each([
    ['X-Tags: a, b', [], ['a', 'b']],
    ['X-Tags: a\r\nX-Tags: c', [], ['a', 'c']],
    ['X-Tags: one,\r\n two', [], ['one', 'two']],
    ['x-tags: Lower', ['ann+Plus@example.test'], ['Lower', 'Plus']],
    ['X-Tags: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=, b', [], ['Grüße', 'b']],
    ['From: a@b', ['ann+signup@example.test', 'bob@example.test', 'c+@example.test', 'd+x+y@example.test'], ['signup', 'x+y']],
  ])('reads %j with recipients %j as %j', (headers, rcpt, expected) => {
    expect(arrivalTags(raw(headers), rcpt)).toEqual(expected);
  });

  it.each([
    ['ann+signup@example.test', 'signup'],
    ['ann@example.test', null],
    ['ann+@example.test', null],
    ['+x@example.test', 'x'],
  ])('plusDetail(%s) is %s', (address, detail) => {
    expect(plusDetail(address)).toBe(detail);
  });
});

describe('tag: in the query language', () => {
  it.each([
    ['tag:qa', [{ key: 'tag', value: 'qa', negated: false }]],
    ['-tag:QA', [{ key: 'tag', value: 'qa', negated: true }]],
    ['tag:"needs review"', [{ key: 'tag', value: 'needs review', negated: false }]],
    ['tag:', [{ key: 'word', value: 'tag:', negated: false }]],
  ])('parses %s', (query, terms) => {
    expect(parseQuery(query)).toEqual(terms);
  });
});

describe('MessageStore.setTags', () => {
  it('replaces tags, emits message.updated once per change and not for an equal list', () => {
    const store = new MessageStore({ maxMessages: 0 });
    const m = store.deliver({ raw: raw('X-Tags: a'), envelope: { mailFrom: '', rcptTo: ['x@example.test'] }, source: 'api' });
    const updates: string[][] = [];
    store.on('message.updated', (u) => updates.push([...u.tags]));
    expect(store.setTags(m.id, ['B', ' b ', 'c'])).toEqual(['B', 'c']);
    expect(store.setTags(m.id, ['B', 'c'])).toEqual(['B', 'c']);
    expect(updates).toEqual([['B', 'c']]);
    expect(store.setTags('missing', ['x'])).toBeUndefined();
  });
});
