import { describe, expect, it } from 'vitest';
import { normalizeAddress } from '../../src/store/mailbox.js';

describe('normalizeAddress', () => {
  it('lower-cases a mailbox address and drops the spaces and angle brackets around it', () => {
    expect(normalizeAddress('ann@example.test')).toBe('ann@example.test');
    expect(normalizeAddress('Ann@Example.TEST')).toBe('ann@example.test');
    expect(normalizeAddress('<Ann@example.test>')).toBe('ann@example.test');
    expect(normalizeAddress('  <ann@example.test>\t')).toBe('ann@example.test');
    expect(normalizeAddress('ann@example.test>')).toBe('ann@example.test');
    expect(normalizeAddress('\u00a0ann@example.test\u3000')).toBe('ann@example.test');
    expect(normalizeAddress('Jörg@Bücher.example')).toBe('jörg@bücher.example');
    expect(normalizeAddress('')).toBe('');
  });
});
