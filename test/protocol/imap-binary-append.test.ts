import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { fetchOne, imapSandbox, imapflowClient } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * RFC 3516 §4.3 literal8 in APPEND (`~{n}`, `~{n+}`): binary content is taken, stored as Dovecot stores it (the
 * `Content-Transfer-Encoding: binary` part re-encoded as base64) and given back byte for byte by BINARY[part];
 * a literal8 is limited like a literal and refused outside APPEND.
 */
const user = 'bin-append@example.test';
const payload = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x00, 0x80, 0x41, 0x0a, 0x00]);
const multipart = Buffer.concat([
  Buffer.from('From: a@example.test\r\nSubject: binary attachment\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'),
  Buffer.from('--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9\r\n', 'latin1'),
  Buffer.from('--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n'),
  payload,
  Buffer.from('\r\n--b--\r\n'),
]);

let sandbox: Sandbox;
let c: RawImap;

beforeAll(async () => {
  sandbox = await imapSandbox({ maxMessageSize: 4096 });
  await sandbox.deliver('Subject: seed\r\n\r\nseed\r\n', { to: user });
  c = await RawImap.connect(sandbox.ports.imap!);
  expect(await c.command('L', `LOGIN ${user} x`)).toMatch(/^L OK/m);
  const caps = await c.command('C', 'CAPABILITY');
  expect(caps.split('\r\n')[0].split(' ')).toContain('BINARY');
  expect(await c.command('S', 'SELECT INBOX')).toMatch(/^S OK/m);
});

afterAll(async () => {
  c?.end();
  await sandbox?.close();
});

const inbox = () => sandbox.store.getFolder(user, 'INBOX')!.placements;

describe('APPEND with a literal8 (RFC 3516 §4.3)', () => {
  it('takes a synchronizing ~{n} with NUL bytes, stores the binary part as base64 and serves it back exactly with BINARY[2] and BINARY[]', async () => {
    c.write(`A APPEND INBOX (\\Seen) ~{${multipart.length}}\r\n`);
    await c.until(/^\+ [^\r\n]*\r\n/m);
    c.write(Buffer.concat([multipart, Buffer.from('\r\n')]));
    expect(await c.until(/^A (OK|NO|BAD)[^\r\n]*\r\n/m)).toMatch(/^A OK \[APPENDUID \d+ \d+\]/m);
    const stored = inbox()[inbox().length - 1].message.raw;
    expect(stored.includes(0)).toBe(false);
    expect(stored.toString('latin1')).toContain(`Content-Transfer-Encoding: base64\r\n\r\n${payload.toString('base64')}\r\n--b--`);

    const seq = inbox().length;
    expect(await c.command('N', 'NOOP')).toMatch(/^N OK/m);
    const bin = await c.command('F', `FETCH ${seq} (BINARY.SIZE[2] BINARY.PEEK[2] BINARY.PEEK[1])`);
    expect(bin).toMatch(/^F OK/m);
    expect(bin).toContain(`BINARY.SIZE[2] ${payload.length} BINARY[2] ~{${payload.length}}\r\n${payload.toString('latin1')} BINARY[1] {5}\r\ncaf\xc3\xa9)`);
    // BINARY[] is the message as it was sent (the part's CTE header was already its last; it is moved there if not).
    const whole = await c.command('W', `FETCH ${seq} (BINARY.SIZE[] BINARY.PEEK[])`);
    expect(whole).toContain(`BINARY.SIZE[] ${multipart.length} BINARY[] ~{${multipart.length}}\r\n${multipart.toString('latin1')})`);
    // BODY[2] is the stored (7-bit) form: what a client without BINARY, POP3 and the API see.
    const body = await c.command('G', `FETCH ${seq} (BODY.PEEK[2.MIME] BODY.PEEK[2])`);
    expect(body).toContain(`BODY[2] {${payload.toString('base64').length}}\r\n${payload.toString('base64')})`);
    expect(body).toContain('Content-Transfer-Encoding: base64');
  });

  it('takes a non-synchronizing ~{n+} single-part binary message, as imaptest sends it', async () => {
    const msg = Buffer.concat([Buffer.from('Subject: whole\r\nContent-Transfer-Encoding: binary\r\n\r\n'), payload]);
    const before = inbox().length;
    c.write(Buffer.concat([Buffer.from(`B APPEND INBOX ~{${msg.length}+}\r\n`), msg, Buffer.from('\r\n')]));
    expect(await c.until(/^B (OK|NO|BAD)[^\r\n]*\r\n/m)).toMatch(/^B OK/m);
    expect(inbox().length).toBe(before + 1);
    const reply = await c.command('F', `FETCH ${before + 1} (BINARY.PEEK[1])`);
    expect(reply).toContain(`BINARY[1] ~{${payload.length}}\r\n${payload.toString('latin1')})`);
  });

  it('refuses a NUL outside a binary part with NO [UNKNOWN-CTE] and stores nothing', async () => {
    const msg = Buffer.concat([Buffer.from('Subject: mislabelled\r\nContent-Transfer-Encoding: 8bit\r\n\r\nA'), Buffer.from([0]), Buffer.from('B\r\n')]);
    const before = inbox().length;
    c.write(Buffer.concat([Buffer.from(`U APPEND INBOX ~{${msg.length}+}\r\n`), msg, Buffer.from('\r\n')]));
    expect(await c.until(/^U (OK|NO|BAD)[^\r\n]*\r\n/m)).toMatch(/^U NO \[UNKNOWN-CTE\]/m);
    expect(inbox().length).toBe(before);
  });

  it('answers a literal8 over the message size limit NO [TOOBIG] before its bytes are sent', async () => {
    const reply = await c.command('T', 'APPEND INBOX ~{5000}');
    expect(reply).toMatch(/^T NO \[TOOBIG\]/m);
    expect(reply).not.toMatch(/^\+/m);
    expect(await c.command('N', 'NOOP')).toMatch(/^N OK/m);
  });

  it('refuses a literal8 outside APPEND with BAD: ~{n} before its bytes, ~{n+} after, and the session goes on', async () => {
    const sync = await c.command('X', 'SEARCH SUBJECT ~{3}');
    expect(sync).toMatch(/^X BAD .*literal8/m);
    expect(sync).not.toMatch(/^\+/m);
    c.write('Y SEARCH SUBJECT ~{3+}\r\nabc\r\n');
    expect(await c.until(/^Y (OK|NO|BAD)[^\r\n]*\r\n/m)).toMatch(/^Y BAD .*literal8/m);
    c.write('Z EXAMINE ~{5+}\r\nINBOX\r\n');
    expect(await c.until(/^Z (OK|NO|BAD)[^\r\n]*\r\n/m)).toMatch(/^Z BAD/m);
    expect(await c.command('N', 'NOOP')).toMatch(/^N OK/m);
  });
});

describe('imapflow with BINARY advertised', () => {
  it('appends a message with NUL bytes as a literal8 and reads the attachment back exactly with BINARY', async () => {
    const flow = await imapflowClient(sandbox, user);
    try {
      const appended = await flow.append('INBOX', multipart);
      expect(appended && appended.uid).toBeGreaterThan(0);
      await flow.mailboxOpen('INBOX');
      // `binary: true` makes imapflow ask BINARY.PEEK[2] (it falls back to BODY without the capability).
      const m = await flow.fetchOne(String(appended && appended.uid), { bodyParts: ['2'] }, { uid: true, binary: true });
      expect(m && m.bodyParts?.get('2')).toEqual(payload);
      const source = await fetchOne(flow, String(appended && appended.uid), { uid: true, source: true });
      expect(source.source?.includes(0)).toBe(false);
    } finally {
      await flow.logout();
    }
  });
});
