import { describe, expect, it } from 'vitest';
import { FaultRuleError, parseFaultRule } from '../../src/store/fault-rule.js';
import { FaultRuleSet } from '../../src/store/fault-rules.js';

const base = { protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Try again later' };

describe('fault rule validation', () => {
  it.each([
    [{ ...base, protocol: 'ftp' }, 'protocol'],
    [{ ...base, colour: 'red' }, 'colour'],
    [{ ...base, on: 'FETCH' }, 'on'],
    [{ ...base, on: '' }, 'on'],
    [{ protocol: 'smtp', on: 'rcpt' }, 'action'],
    [{ ...base, action: 'explode' }, 'action'],
    [{ ...base, reply: '250 fine' }, 'reply'],
    [{ ...base, reply: 'busy' }, 'reply'],
    [{ ...base, protocol: 'pop3', on: 'RETR', reply: 'NO busy' }, 'reply'],
    [{ ...base, protocol: 'imap', on: 'FETCH', reply: '-ERR busy' }, 'reply'],
    [{ ...base, reply: '451 a\r\nb' }, 'reply'],
    [{ ...base, probability: 1.5 }, 'probability'],
    [{ ...base, probability: -0.1 }, 'probability'],
    [{ ...base, times: -1 }, 'times'],
    [{ ...base, times: 0 }, 'times'],
    [{ ...base, skip: -2 }, 'skip'],
    [{ ...base, delayMs: -5 }, 'delayMs'],
    [{ ...base, per: 'planet' }, 'per'],
    [{ ...base, match: { to: 'x', colour: 'y' } }, 'match.colour'],
    [{ ...base, match: { from: '/(/' } }, 'match.from'],
    [{ protocol: 'smtp', on: 'rcpt', action: 'delay' }, 'delayMs'],
    [{ protocol: 'smtp', on: 'rcpt', action: 'throttle' }, 'bytesPerSecond'],
    [{ ...base, partial: true }, 'partial'],
    ['a string', 'rule'],
  ])('refuses %j naming the field %s', (rule, field) => {
    let caught: unknown;
    try {
      parseFaultRule(rule);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FaultRuleError);
    expect((caught as FaultRuleError).field).toBe(field);
  });

  it.each([
    [{ protocol: 'imap', on: 'uid fetch', action: 'reply', reply: 'no [UNAVAILABLE] x' }, 'UID FETCH', 'NO [UNAVAILABLE] x'],
    [{ protocol: 'pop3', on: 'retr', action: 'reply', reply: '-ERR [SYS/TEMP] x' }, 'RETR', '-ERR [SYS/TEMP] x'],
    [{ protocol: 'smtp', on: 'RCPT', action: 'reply', reply: '421 4.3.2 bye' }, 'rcpt', '421 4.3.2 bye'],
    [{ protocol: 'imap', on: 'Auth', action: 'reply', reply: 'BYE no' }, 'auth', 'BYE no'],
  ])('accepts %j with on normalized to %s', (rule, on, reply) => {
    const parsed = parseFaultRule(rule);
    expect(parsed.on).toBe(on);
    expect(parsed.reply).toBe(reply);
  });
});

describe('fault rule counting', () => {
  it('fires for the first `times` matching events after `skip`, then is spent', () => {
    const set = new FaultRuleSet();
    const rule = set.add({ ...base, skip: 2, times: 2 });
    const fired = Array.from({ length: 6 }, () => set.check('smtp', ['rcpt'], 's1') !== null);
    expect(fired).toEqual([false, false, true, true, false, false]);
    expect(rule.hits).toBe(2);
    expect(rule.spent).toBe(true);
    expect(set.list()).toHaveLength(1);
  });

  it('counts per sender+recipient: each pair is greylisted once, and the rule is never spent', () => {
    const set = new FaultRuleSet();
    const rule = set.add({ ...base, times: 1, per: 'sender+recipient' });
    const check = (from: string, to: string) => set.check('smtp', ['rcpt'], 's', { from, to }) !== null;
    expect([check('a@x', 'b@x'), check('a@x', 'b@x'), check('a@x', 'c@x'), check('A@X', 'C@X'), check('d@x', 'b@x')]).toEqual([true, false, true, false, true]);
    expect(rule.hits).toBe(3);
    expect(rule.spent).toBe(false);
  });

  it('gives the same sequence of decisions twice for the same probability and seed', () => {
    const decisions = () => {
      const set = new FaultRuleSet();
      set.add({ ...base, probability: 0.3, seed: 42 });
      return Array.from({ length: 200 }, () => (set.check('smtp', ['rcpt'], 's') ? 1 : 0)).join('');
    };
    const first = decisions();
    expect(decisions()).toBe(first);
    const ones = [...first].filter((c) => c === '1').length;
    expect(ones).toBeGreaterThan(35);
    expect(ones).toBeLessThan(85);
    const other = new FaultRuleSet();
    other.add({ ...base, probability: 0.3, seed: 43 });
    expect(Array.from({ length: 200 }, () => (other.check('smtp', ['rcpt'], 's') ? 1 : 0)).join('')).not.toBe(first);
  });

  it('records a random seed when probability comes without one, so the run can be repeated', () => {
    const rule = new FaultRuleSet().add({ ...base, probability: 0.5 });
    expect(Number.isInteger(rule.seed)).toBe(true);
  });

  it('matches substrings case-insensitively and /regex/flags, and never on a fact that is absent', () => {
    const set = new FaultRuleSet();
    set.add({ ...base, match: { to: 'ANN@', from: '/^billing@/i' } });
    expect(set.check('smtp', ['rcpt'], 's', { to: 'ann@example.test', from: 'Billing@shop.test' })).not.toBeNull();
    expect(set.check('smtp', ['rcpt'], 's', { to: 'ann@example.test', from: 'sales@shop.test' })).toBeNull();
    expect(set.check('smtp', ['rcpt'], 's', { to: 'ann@example.test' })).toBeNull();
  });

  it('lets a command rule match its UID form through the names it is checked with', () => {
    const set = new FaultRuleSet();
    set.add({ protocol: 'imap', on: 'FETCH', action: 'reply', reply: 'NO x' });
    expect(set.check('imap', ['UID FETCH', 'FETCH'], 's')).not.toBeNull();
    expect(set.check('imap', ['UID STORE', 'STORE'], 's')).toBeNull();
  });

  it('emits fault.hit with ruleId, protocol, on and sessionId, and counts fired faults per protocol', () => {
    const set = new FaultRuleSet();
    const rule = set.add(base);
    const hits: unknown[] = [];
    set.on('fault.hit', (hit) => hits.push(hit));
    set.check('smtp', ['rcpt'], 'smtp-abc');
    expect(hits).toEqual([{ ruleId: rule.id, protocol: 'smtp', on: 'rcpt', sessionId: 'smtp-abc' }]);
    expect(set.fired.smtp).toBe(1);
  });

  it('costs nothing for a protocol without rules', () => {
    const set = new FaultRuleSet();
    set.add(base);
    expect(set.has('smtp')).toBe(true);
    expect(set.has('imap')).toBe(false);
    set.clear();
    expect(set.has('smtp')).toBe(false);
  });

  it('turns add, remove, clear and each firing into change records for the store, and counts only through them', () => {
    const records: unknown[] = [];
    const set: FaultRuleSet = new FaultRuleSet((change) => {
      records.push(change);
      set.apply(change);
    });
    const rule = set.add({ ...base, times: 1 });
    expect(set.check('smtp', ['rcpt'], 's1')?.id).toBe(rule.id);
    expect(set.remove(rule.id)).toBe(true);
    const other = set.add(base);
    expect(set.clear()).toBe(1);
    expect(records).toEqual([
      { kind: 'addFaultRule', rule: { ...rule, hits: 0, spent: false } },
      { kind: 'faultHit', id: rule.id },
      { kind: 'removeFaultRules', ids: [rule.id], all: false },
      { kind: 'addFaultRule', rule: { ...other, hits: 0 } },
      { kind: 'removeFaultRules', ids: [other.id], all: true },
    ]);
  });

  it('applies records made on another node: a repeated add is one rule, a hit on a rule removed meanwhile is nothing, a clear keeps a rule added meanwhile', () => {
    const here = new FaultRuleSet();
    const rule = here.add({ ...base, times: 2 });
    const counted: number[] = [];
    here.on('fault.counted', (r) => counted.push(r.hits));
    here.apply({ kind: 'addFaultRule', rule: { ...rule, hits: 0 } });
    expect(here.size).toBe(1);
    here.apply({ kind: 'faultHit', id: rule.id });
    here.apply({ kind: 'faultHit', id: rule.id });
    expect(here.get(rule.id)).toMatchObject({ hits: 2, spent: true });
    expect(counted).toEqual([1, 2]);
    // A spent rule does not fire here any more, although this node never fired it.
    expect(here.check('smtp', ['rcpt'], 's')).toBeNull();
    const later = here.add(base);
    const events: string[] = [];
    here.on('fault.removed', (r) => events.push(`removed ${r.id}`));
    here.on('fault.cleared', () => events.push('cleared'));
    here.apply({ kind: 'removeFaultRules', ids: [rule.id], all: true });
    expect(here.list().map((r) => r.id)).toEqual([later.id]);
    expect(events).toEqual([`removed ${rule.id}`]);
    expect(here.apply({ kind: 'faultHit', id: rule.id })).toBeUndefined();
  });
});
