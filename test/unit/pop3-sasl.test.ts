import { describe, expect, it } from 'vitest';
import { decodeResponse, startSasl } from '../../src/pop3/sasl.js';
import type { SaslStep } from '../../src/pop3/sasl.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function finish(step: SaslStep, ...responses: string[]): SaslStep {
  let s = step;
  for (const r of responses) {
    if (s.done) throw new Error('exchange already finished');
    s = s.next(r);
  }
  return s;
}

describe('SASL', () => {
  it.each([
    ['PLAIN with an initial response', startSasl('PLAIN', b64('\0ann\0pw')), []],
    ['PLAIN with a continuation', startSasl('plain', undefined), [b64('\0ann\0pw')]],
    ['PLAIN with authzid = authcid', startSasl('PLAIN', b64('ann\0ann\0pw')), []],
    ['LOGIN in two steps', startSasl('LOGIN', undefined), [b64('ann'), b64('pw')]],
    ['LOGIN with the user as initial response', startSasl('LOGIN', b64('ann')), [b64('pw')]],
  ])('%s', (_name, step, responses) => {
    expect(finish(step, ...responses)).toEqual({ done: true, user: 'ann', password: 'pw' });
  });

  it('prompts LOGIN with base64 Username: and Password:', () => {
    const first = startSasl('LOGIN', undefined);
    expect(first.done ? '' : first.challenge).toBe('VXNlcm5hbWU6');
    const second = finish(first, b64('ann'));
    expect(second.done ? '' : second.challenge).toBe('UGFzc3dvcmQ6');
  });

  it.each([
    ['an unknown mechanism', () => startSasl('CRAM-MD5', undefined), 'Unsupported authentication mechanism'],
    ['a cancel', () => finish(startSasl('PLAIN', undefined), '*'), 'Authentication cancelled'],
    ['bad base64', () => startSasl('PLAIN', 'a=b='), 'Invalid base64'],
    ['a PLAIN without two NULs', () => startSasl('PLAIN', b64('annpw')), 'Malformed PLAIN response'],
    ['a foreign authzid', () => startSasl('PLAIN', b64('root\0ann\0pw')), 'Authorization identity not allowed'],
  ])('refuses %s', (_name, run, message) => {
    expect(run).toThrow(message);
  });

  it('reads = and an empty line as empty responses', () => {
    expect(decodeResponse('=')).toBe('');
    expect(decodeResponse('')).toBe('');
  });
});
