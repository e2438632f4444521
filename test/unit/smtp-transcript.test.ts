import { afterEach, describe, expect, it, vi } from 'vitest';
import { redactCommand, SmtpTranscript } from '../../src/smtp/transcript.js';
import { SessionLog } from '../../src/store/session-log.js';
import { decodeTranscript } from '../../src/store/transcript.js';

describe('redactCommand', () => {
  it.each([
    ['AUTH PLAIN AGFubgBzZWNyZXQ=', false, 'AUTH PLAIN <redacted>'],
    ['auth login YW5u', false, 'auth login <redacted>'],
    ['AUTH LOGIN', false, 'AUTH LOGIN'],
    ['AUTH CRAM-MD5', false, 'AUTH CRAM-MD5'],
    ['AUTH PLAIN =', false, 'AUTH PLAIN <redacted>'],
    ['YW5uIDBmZWQ5OGU1', true, '<redacted>'],
    ['*', true, '<redacted>'],
    ['MAIL FROM:<a@example.test>', false, 'MAIL FROM:<a@example.test>'],
    ['EHLO AUTH', false, 'EHLO AUTH'],
  ])('records %j (continuation: %s) as %j', (line, isContinuation, expected) => {
    expect(redactCommand(line, isContinuation)).toBe(expected);
  });
});

describe('SmtpTranscript', () => {
  it('keeps the lines since the last accepted message for the next one, ending with its 250', () => {
    const log = new SessionLog(10, 100);
    const transcript = new SmtpTranscript(log.start('smtp', { tls: false }), 100);
    transcript.server('220 hello');
    transcript.client('MAIL FROM:<a@example.test>');
    expect(decodeTranscript(transcript.forMessage('250 2.6.0 Ok: queued as X')).map((l) => l.dir + l.line)).toEqual([
      'S220 hello',
      'CMAIL FROM:<a@example.test>',
      'S250 2.6.0 Ok: queued as X',
    ]);
    transcript.messageAccepted('250 2.6.0 Ok: queued as X');
    transcript.client('QUIT');
    expect(decodeTranscript(transcript.forMessage('250 next')).map((l) => l.line)).toEqual(['QUIT', '250 next']);
    expect(log.list()[0].lines.map((l) => l.line)).toEqual(['220 hello', 'MAIL FROM:<a@example.test>', '250 2.6.0 Ok: queued as X', 'QUIT']);
  });

  it('bounds the lines kept for one message, keeping the latest and saying how many were dropped', () => {
    const transcript = new SmtpTranscript(new SessionLog(10, 10).start('smtp', { tls: false }), 3);
    for (let i = 0; i < 10; i++) transcript.client(`NOOP ${i}`);
    expect(decodeTranscript(transcript.forMessage('250 ok')).map((l) => l.line)).toEqual(['7 earlier lines omitted', 'NOOP 7', 'NOOP 8', 'NOOP 9', '250 ok']);
  });

  describe('line times', () => {
    afterEach(() => vi.useRealTimers());
    const at = (ms: number) => vi.setSystemTime(ms);

    it('keeps each line at the time it was recorded, also after the oldest were dropped', () => {
      vi.useFakeTimers();
      const transcript = new SmtpTranscript(new SessionLog(10, 100).start('smtp', { tls: false }), 2);
      at(1_700_000_000_000);
      transcript.client('NOOP 0');
      at(1_700_000_000_005);
      transcript.client('NOOP 1');
      at(1_700_000_000_012);
      transcript.client('NOOP 2');
      at(1_700_000_000_020);
      transcript.server('250 ok\r\nwith a break');
      at(1_700_000_000_021);
      expect(decodeTranscript(transcript.forMessage('250 done'))).toEqual([
        { at: 1_700_000_000_012, dir: '*', line: '2 earlier lines omitted' },
        { at: 1_700_000_000_012, dir: 'C', line: 'NOOP 2' },
        { at: 1_700_000_000_020, dir: 'S', line: '250 ok  with a break' },
        { at: 1_700_000_000_021, dir: 'S', line: '250 done' },
      ]);
      transcript.messageAccepted('250 done');
      at(1_700_000_000_030);
      expect(decodeTranscript(transcript.forMessage('250 alone'))).toEqual([{ at: 1_700_000_000_030, dir: 'S', line: '250 alone' }]);
      transcript.client('QUIT');
      at(1_700_000_000_029);
      expect(decodeTranscript(transcript.forMessage('250 clock stepped back'))).toEqual([
        { at: 1_700_000_000_030, dir: 'C', line: 'QUIT' },
        { at: 1_700_000_000_029, dir: 'S', line: '250 clock stepped back' },
      ]);
    });
  });

  describe('common lines stored as keys', () => {
    const transaction = [
      ['C', 'MAIL FROM:<bench@example.test>'],
      ['S', '250 2.1.0 Accepted'],
      ['C', 'RCPT TO:<ann@example.test>'],
      ['S', '250 2.1.5 Accepted'],
      ['C', 'DATA'],
      ['S', '354 End data with <CR><LF>.<CR><LF>'],
      ['C', '<1024 bytes of message data>'],
    ] as const;

    it('gives back every line as it was recorded, in less than half the characters', () => {
      const transcript = new SmtpTranscript(new SessionLog(10, 100).start('smtp', { tls: false }), 100);
      for (const [dir, line] of transaction) (dir === 'C' ? transcript.client(line) : transcript.server(line));
      const stored = transcript.forMessage('250 2.6.0 Ok: queued as 5HdkQ3uVbE2PC4y1');
      const lines = [...transaction.map(([dir, line]) => dir + line), 'S250 2.6.0 Ok: queued as 5HdkQ3uVbE2PC4y1'];
      expect(decodeTranscript(stored).map((l) => l.dir + l.line)).toEqual(lines);
      expect(stored.length).toBeLessThan(lines.join('\n').length / 2);
    });

    it.each([
      ['C', 'MAIL FROM:<>'],
      ['C', 'MAIL FROM:<a@b.test> SIZE=100 BODY=8BITMIME'],
      ['C', 'mail from:<a@b.test>'],
      ['C', 'DATA 1'],
      ['C', '<12 bytes of message data> and more'],
      ['C', '<>'],
      ['C', 'EHLO 123'],
      ['S', '250 2.1.0 Accepted'],
      ['S', '250 2.1.0 Accepte'],
      ['S', '250 2.6.0 Ok: queued as 0123'],
      ['S', '250-2.1.0 Accepted'],
      ['S', 'fMAIL FROM:<x>'],
      ['*', 'MAIL FROM:<note@x>'],
    ] as const)('round-trips %s %j', (dir, line) => {
      const transcript = new SmtpTranscript(new SessionLog(10, 100).start('smtp', { tls: false }), 100);
      if (dir === 'C') transcript.client(line);
      else if (dir === 'S') transcript.server(line);
      else transcript.note(line);
      expect(decodeTranscript(transcript.forMessage('250 2.0.0 OK')).map((l) => l.dir + l.line)).toEqual([dir + line, 'S250 2.0.0 OK']);
    });

    it('keeps the times of keyed lines after the oldest were dropped', () => {
      const transcript = new SmtpTranscript(new SessionLog(10, 100).start('smtp', { tls: false }), 2);
      for (const [dir, line] of transaction) (dir === 'C' ? transcript.client(line) : transcript.server(line));
      const lines = decodeTranscript(transcript.forMessage('250 2.6.0 Ok: queued as X'));
      expect(lines.map((l) => l.line)).toEqual(['5 earlier lines omitted', '354 End data with <CR><LF>.<CR><LF>', '<1024 bytes of message data>', '250 2.6.0 Ok: queued as X']);
      expect(Math.abs(lines[3].at - Date.now())).toBeLessThan(60_000);
      expect(lines[0].at).toBe(lines[1].at);
    });
  });
});
