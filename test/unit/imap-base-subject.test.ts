import { describe, expect, it } from 'vitest';
import { baseSubject, casemap } from '../../src/imap/commands/sort/base-subject.js';

describe('RFC 5256 base subject', () => {
  it.each([
    ['Lunch', 'LUNCH', false],
    ['Re: Lunch', 'LUNCH', true],
    ['RE: [list] Re: lunch (fwd)', 'LUNCH', true],
    ['Re[2]: Fwd: FW: lunch', 'LUNCH', true],
    ['[fwd: Re: lunch]', 'LUNCH', true],
    ['[list] lunch', 'LUNCH', false],
    ['[list]   [other] lunch  ', 'LUNCH', false],
    ['[only a blob]', '[ONLY A BLOB]', false],
    ['Fw:   hello  \t world', 'HELLO WORLD', true],
    ['Lunch (fwd) (FWD)', 'LUNCH', true],
    ['Re: ', '', true],
    ['Reply to all', 'REPLY TO ALL', false],
    ['[fwd: [list] Re: x] ', 'X', true],
  ])('%j -> %j (reply or forward: %s)', (subject, key, isReplyOrForward) => {
    expect(baseSubject(subject)).toEqual({ key, isReplyOrForward });
  });

  it('compares with i;unicode-casemap: case and compatibility forms fold together', () => {
    expect(casemap('Réunion')).toBe(casemap('RÉUNION'));
    expect(casemap('ﬁle')).toBe(casemap('FILE'));
    expect(baseSubject('Re: Grüße').key).toBe(casemap('GRÜẞE'.toLowerCase()));
  });
});
