import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { imapSandbox } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * RFC 3516 BINARY fetch items: BINARY[part], BINARY.PEEK[part]<partial>, BINARY.SIZE[part], decoded from base64 and
 * quoted-printable, literal8 for content with NUL, NO [UNKNOWN-CTE] for an encoding we can't undo, BAD for bad syntax.
 * literal8 in APPEND: imap-binary-append.test.ts.
 */
const user = 'bin@example.test';
const payload = Buffer.from([0x00, 0x01, 0x41, 0xff, 0x0d, 0x0a, 0x42]);
const message = [
  'From: a@example.test',
  'Subject: binary parts',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'caf=C3=A9 =3D soft=',
  'break',
  '--b',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  '',
  payload.toString('base64'),
  '--b',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: x-uuencode',
  '',
  'begin 644 x',
  '--b--',
  '',
].join('\r\n');

let sandbox: Sandbox;
let c: RawImap;

beforeAll(async () => {
  sandbox = await imapSandbox();
  await sandbox.deliver(message, { to: user });
  c = await RawImap.connect(sandbox.ports.imap!);
  expect(await c.command('L', `LOGIN ${user} x`)).toMatch(/^L OK/m);
  expect(await c.command('S', 'SELECT INBOX')).toMatch(/^S OK/m);
});

afterAll(async () => {
  c?.end();
  await sandbox?.close();
});

describe('FETCH BINARY (RFC 3516)', () => {
  it('decodes quoted-printable and base64 parts, with their decoded sizes', async () => {
    const qp = await c.command('A', 'FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])');
    expect(qp).toMatch(/^A OK/m);
    const text = Buffer.from('café = softbreak', 'utf8');
    expect(qp).toContain(`* 1 FETCH (BINARY.SIZE[1] ${text.length} BINARY[1] {${text.length}}\r\n${text.toString('latin1')})`);

    const b64 = await c.command('B', 'FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2])');
    expect(b64).toMatch(/^B OK/m);
    // The content has a NUL, so it goes as a literal8.
    expect(b64).toContain(`* 1 FETCH (BINARY.SIZE[2] 7 BINARY[2] ~{7}\r\n${payload.toString('latin1')})`);
    expect(sandbox.store.getFolder(user, 'INBOX')!.placements[0].flags.has('\\Seen')).toBe(false);
  });

  it('serves a partial of the decoded bytes, and BINARY without .PEEK sets \\Seen', async () => {
    const reply = await c.command('C', 'FETCH 1 (BINARY[2]<2.2>)');
    expect(reply).toMatch(/^C OK/m);
    expect(reply).toContain('BINARY[2]<2> {2}\r\nA\xff');
    expect(sandbox.store.getFolder(user, 'INBOX')!.placements[0].flags.has('\\Seen')).toBe(true);
  });

  it('drops quoted-printable transport padding and joins a soft break with blanks after the =, as RFC 2045 §6.7 says', async () => {
    const qp = ['From: a@example.test', 'Subject: qp', 'Content-Transfer-Encoding: quoted-printable', '', 'hello  ', 'foo\t= ', '=62', 'end'].join('\r\n');
    await sandbox.deliver(qp, { to: user });
    expect(await c.command('N', 'NOOP')).toMatch(/EXISTS/);
    const reply = await c.command('Q', 'FETCH 2 (BINARY.PEEK[1])');
    expect(reply).toContain('* 2 FETCH (BINARY[1] {17}\r\nhello\r\nfoo\tb\r\nend)');
  });

  it('answers NO [UNKNOWN-CTE] for an encoding it cannot decode, and the session goes on', async () => {
    expect(await c.command('D', 'FETCH 1 (BINARY.PEEK[3])')).toMatch(/^D NO \[UNKNOWN-CTE\]/m);
    expect(await c.command('E', 'NOOP')).toMatch(/^E OK/m);
  });

  it('refuses a section other than a part number, and a partial on BINARY.SIZE, with BAD', async () => {
    expect(await c.command('F', 'FETCH 1 (BINARY.PEEK[1.HEADER])')).toMatch(/^F BAD/m);
    expect(await c.command('G', 'FETCH 1 (BINARY.PEEK[TEXT])')).toMatch(/^G BAD/m);
    expect(await c.command('H', 'FETCH 1 (BINARY.SIZE[1]<0.5>)')).toMatch(/^H BAD/m);
    expect(await c.command('I', 'FETCH 1 (BINARY.PEEK[0])')).toMatch(/^I BAD/m);
    expect(await c.command('J', 'NOOP')).toMatch(/^J OK/m);
  });

  it('refuses an APPEND whose plain literal carries a NUL with BAD, stores nothing, and the session goes on', async () => {
    const body = Buffer.concat([Buffer.from('Subject: nul\r\n\r\nA'), Buffer.from([0]), Buffer.from('B\r\n')]);
    const before = sandbox.store.getFolder(user, 'INBOX')!.placements.length;
    c.write(Buffer.concat([Buffer.from(`K APPEND INBOX {${body.length}+}\r\n`), body, Buffer.from('\r\n')]));
    const reply = await c.until(/^K (OK|NO|BAD)[^\r\n]*\r\n/m);
    expect(reply).toMatch(/^K BAD .*NUL/m);
    expect(sandbox.store.getFolder(user, 'INBOX')!.placements.length).toBe(before);
    expect(await c.command('M', 'NOOP')).toMatch(/^M OK/m);
  });
});
