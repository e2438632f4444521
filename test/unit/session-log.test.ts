import { describe, expect, it } from 'vitest';
import { SessionLog } from '../../src/store/session-log.js';
import { decodeTranscript, encodeTranscript } from '../../src/store/transcript.js';
import { Credentials } from '../../src/shared/credentials.js';
import { createHash, createHmac } from 'node:crypto';

describe('SessionLog', () => {
  it('records lines, user and TLS, and emits events', () => {
    const log = new SessionLog(10, 100);
    const events: string[] = [];
    log.on('session.started', (s) => events.push(`start ${s.protocol}`));
    log.on('session.line', (_s, l) => events.push(`${l.dir} ${l.line}`));
    log.on('session.ended', () => events.push('end'));
    const h = log.start('pop3', { remoteAddress: '127.0.0.1', tls: false });
    h.line('S', '+OK ready\r\n');
    h.line('C', 'USER ann');
    h.setUser('ann');
    h.setTls();
    h.end();
    h.end();
    expect(events).toEqual(['start pop3', 'S +OK ready', 'C USER ann', 'end']);
    expect(log.get(h.id)).toMatchObject({ user: 'ann', tls: true, protocol: 'pop3' });
    expect(log.get(h.id)?.endedAt).toBeInstanceOf(Date);
  });

  it('gives back every kept line exactly, with its direction and time, across the compact chunks it is stored in', () => {
    const log = new SessionLog(10, 1000);
    const seen: Array<{ at: number; dir: string; line: string }> = [];
    log.on('session.line', (_s, l) => seen.push(l));
    const h = log.start('smtp', { tls: false });
    // Texts that could confuse the row encoding: leading digits, a lone CR, tabs, the row markers, non-ASCII, empty.
    const odd = ['250 2.0.0 Ok', '12C34', 'S', '*', '', 'a\rb', '\tx\t', '-5S', 'Grüße ✉', 'x'.repeat(2500)];
    const dirs = ['C', 'S', '*'] as const;
    const start = Date.now();
    for (let i = 0; i < 150; i++) h.line(dirs[i % 3], odd[i % odd.length], i % 2 === 0);
    const lines = h.record.lines;
    expect(h.record.lineCount).toBe(150);
    expect(lines).toHaveLength(150);
    expect(lines).toEqual(seen);
    expect(lines.map((l) => l.dir)).toEqual(Array.from({ length: 150 }, (_, i) => dirs[i % 3]));
    expect(lines[9].line).toBe('x'.repeat(2000) + '…');
    expect(lines[5].line).toBe('a\rb');
    for (const l of lines) expect(l.at).toBeGreaterThanOrEqual(start);
    expect(lines.map((l) => l.at)).toEqual([...lines.map((l) => l.at)].sort((a, b) => a - b));
  });

  it('keeps a bounded ring, dropping the oldest ended sessions first', () => {
    const log = new SessionLog(3, 100);
    const live = log.start('imap', { tls: false });
    const ended = [1, 2, 3].map(() => {
      const h = log.start('smtp', { tls: false });
      h.end();
      return h.id;
    });
    expect(log.list().map((s) => s.id)).toEqual([ended[2], ended[1], live.id]);
    expect(log.list('imap').map((s) => s.id)).toEqual([live.id]);
  });

  it('caps the lines of one session and counts what it dropped', () => {
    const log = new SessionLog(3, 2);
    const h = log.start('smtp', { tls: false });
    h.line('C', 'a\r\nb\r\nc\r\n');
    expect(h.record.lines.map((l) => l.line)).toEqual(['a', 'b']);
    expect(h.record.droppedLines).toBe(1);
  });

  it('counts lines sent once full without being given them, and records placeholders while not full', () => {
    const log = new SessionLog(3, 3);
    const h = log.start('imap', { tls: false });
    h.line('S', 'kept');
    h.dropped(4);
    expect(h.record.lines.map((l) => l.line)).toEqual(['kept', '*', '*']);
    expect(h.record.droppedLines).toBe(2);
    h.dropped(10_000);
    h.dropped(0);
    expect(h.record.lines).toHaveLength(3);
    expect(h.record.droppedLines).toBe(10_002);
  });

  it('keeps the lines of one multi-line call (a FETCH batch) exactly as it keeps them given one by one', () => {
    const parts = ['* 1 FETCH (UID 1 FLAGS ())', '', 'x'.repeat(2500), '12S', 'a\rb', '* 2 FETCH (UID 2 FLAGS (\\Seen))'];
    const feed = (multi: boolean) => {
      const log = new SessionLog(3, 9, 1_000_000);
      const events: string[] = [];
      log.on('session.line', (_s, l) => events.push(`${l.dir} ${l.line}`));
      const h = log.start('imap', { tls: false });
      h.line('C', 'x FETCH 1:* (FLAGS)');
      for (const text of [parts.join('\r\n'), parts.join('\n') + '\r\n']) {
        if (multi) h.line('S', text);
        // What the multi-line call stands for: each part, the empty ones skipped only before a final line break.
        else for (const p of text.split(/\r?\n/)) if (!(p === '' && text.endsWith('\n'))) h.line('S', p);
      }
      return { lines: h.record.lines.map((l) => `${l.dir} ${l.line}`), dropped: h.record.droppedLines, bytes: log.totalBytes, events };
    };
    const one = feed(false);
    const many = feed(true);
    expect(many).toEqual(one);
    // The cap (9 lines) falls inside the second call; the long line is cut.
    expect(many.lines).toHaveLength(9);
    expect(many.dropped).toBe(5 + 6 - 8);
    expect(many.lines[3]).toBe('S ' + 'x'.repeat(2000) + '…');
    expect(many.events).toEqual(many.lines);
  });

  it('counts the lines of a call made once full the same as it counts them while splitting', () => {
    const log = new SessionLog(3, 1);
    const h = log.start('imap', { tls: false });
    h.line('S', 'kept');
    // Counted without splitting (no trailing line break): every part, empty ones included.
    h.line('S', '*\n*\r\n\n*');
    expect(h.record.droppedLines).toBe(4);
    // With a trailing line break, split as before: empty parts are not lines.
    h.line('S', 'a\r\n\r\nb\r\n');
    expect(h.record.droppedLines).toBe(6);
    expect(h.record.lines.map((l) => l.line)).toEqual(['kept']);
  });
});

describe('compact transcripts', () => {
  it('round-trip lines and flatten embedded line breaks', () => {
    const lines = [
      { at: 1, dir: 'C' as const, line: 'EHLO x\ty' },
      { at: 2, dir: 'S' as const, line: '250 ok' },
    ];
    expect(decodeTranscript(encodeTranscript(lines))).toEqual(lines);
    expect(decodeTranscript(encodeTranscript([{ at: 3, dir: '*', line: 'a\r\nb' }]))).toEqual([{ at: 3, dir: '*', line: 'a  b' }]);
    expect(decodeTranscript(undefined)).toEqual([]);
  });

  it('round-trip lines that start with digits or tabs and clocks that step back', () => {
    const lines = [
      { at: 1_795_684_195_457, dir: 'S' as const, line: '250 2.1.0 Accepted' },
      { at: 1_795_684_195_460, dir: '*' as const, line: '\t42 starts with a tab' },
      { at: 1_795_684_195_400, dir: 'C' as const, line: '' },
      { at: 1_795_684_195_400, dir: 'C' as const, line: '-1C not a row prefix' },
    ];
    expect(decodeTranscript(encodeTranscript(lines))).toEqual(lines);
  });

  it('spend one digit on the time of a line in the same millisecond as the one before, not thirteen', () => {
    const at = 1_795_684_195_457;
    const lines = ['MAIL FROM:<a@example.test>', '250 2.1.0 Accepted', 'DATA', '354 go ahead'].map((line) => ({ at, dir: 'C' as const, line }));
    const text = lines.map((l) => l.line).join('');
    // The first row carries the full time; each later one adds its line, a 1-digit time, the direction and a newline.
    expect(encodeTranscript(lines).length).toBe(text.length + String(at).length + 1 + 3 * 3);
  });
});

describe('Credentials', () => {
  it('accepts anything when no users are configured', () => {
    const c = new Credentials(undefined);
    expect(c.isOpen).toBe(true);
    expect(c.verifyPassword('x', 'y')).toBe(true);
    expect(c.verifyApop('x', '<1@h>', 'junk')).toBe(true);
  });

  it('checks passwords, APOP and CRAM-MD5 digests case-insensitively on the user', () => {
    const c = new Credentials({ 'Ann@Example.test': 'secret' });
    expect(c.verifyPassword('ann@example.test', 'secret')).toBe(true);
    expect(c.verifyPassword('ann@example.test', 'Secret')).toBe(false);
    expect(c.verifyPassword('bob@example.test', 'secret')).toBe(false);
    const ts = '<1896.697170952@dbc.mtview.ca.us>';
    expect(c.verifyApop('ann@example.test', ts, createHash('md5').update(ts + 'secret').digest('hex'))).toBe(true);
    expect(c.verifyApop('ann@example.test', ts, createHash('md5').update(ts + 'nope').digest('hex'))).toBe(false);
    const challenge = '<42.1@host>';
    expect(c.verifyCramMd5('ann@example.test', challenge, createHmac('md5', 'secret').update(challenge).digest('hex'))).toBe(true);
    expect(c.verifyCramMd5('ann@example.test', challenge, 'deadbeef')).toBe(false);
  });
});
