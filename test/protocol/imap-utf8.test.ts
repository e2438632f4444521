import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { imapSandbox, imapflowClient } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * UTF8=ACCEPT (RFC 6855): after `ENABLE UTF8=ACCEPT` a session names folders in UTF-8 both ways (a session that has
 * not enabled it still sees modified UTF-7, SPEC §17), may APPEND `UTF8 (~{n})`, and may not name a SEARCH CHARSET.
 */
const user = 'utf8@example.test';
const utf8Header = Buffer.from('From: =?utf-8?q?J=C3=B6rg?= <jörg@bücher.example>\r\nTo: ann@example.test\r\nSubject: Grüße aus Köln\r\n\r\nHallo\r\n', 'utf8');

let sandbox: Sandbox;
let c: RawImap;
let plain: RawImap;

beforeAll(async () => {
  sandbox = await imapSandbox();
  // An SMTPUTF8-style message: raw UTF-8 in its header fields.
  await sandbox.deliver(utf8Header, { to: user });
  c = await RawImap.connect(sandbox.ports.imap!);
  plain = await RawImap.connect(sandbox.ports.imap!);
  expect(await c.command('L', `LOGIN ${user} x`)).toMatch(/^L OK/m);
  expect(await plain.command('L', `LOGIN ${user} x`)).toMatch(/^L OK/m);
});

afterAll(async () => {
  c?.end();
  plain?.end();
  await sandbox?.close();
});

const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

describe('ENABLE UTF8=ACCEPT', () => {
  it('is advertised, answers * ENABLED UTF8=ACCEPT once, and a second ENABLE is harmless', async () => {
    expect((await c.command('C', 'CAPABILITY')).split('\r\n')[0].split(' ')).toContain('UTF8=ACCEPT');
    // Before it, APPEND UTF8 is refused (RFC 6855 §4 data needs the extension enabled).
    const early = Buffer.from('Subject: x\r\n\r\nx\r\n');
    c.write(Buffer.concat([Buffer.from(`E APPEND INBOX UTF8 (~{${early.length}+}\r\n`), early, Buffer.from(')\r\n')]));
    expect(await c.until(/^E (OK|NO|BAD)[^\r\n]*\r\n/m)).toMatch(/^E BAD .*ENABLE UTF8=ACCEPT/m);
    const first = await c.command('A', 'ENABLE UTF8=ACCEPT');
    expect(first).toMatch(/^\* ENABLED UTF8=ACCEPT\r\n/m);
    expect(first).toMatch(/^A OK/m);
    const again = await c.command('B', 'ENABLE UTF8=ACCEPT');
    expect(again).toMatch(/^\* ENABLED\r\n/m);
    expect(again).toMatch(/^B OK/m);
  });

  it('creates, lists, selects and reports folders by their UTF-8 names, & included, while another session sees modified UTF-7', async () => {
    const name = 'Überweisungen & Belege/Été';
    // RawImap writes strings as UTF-8 and reads replies as latin1, hence utf8() on the expected side.
    expect(await c.command('C', `CREATE "${name}"`)).toMatch(/^C OK/m);
    expect(sandbox.store.getFolder(user, name)).toBeDefined();
    const listed = await c.command('L', 'LIST "" "*"');
    expect(listed).toContain(`"/" "${utf8(name)}"\r\n`);
    expect(await c.command('S', `STATUS "${name}" (MESSAGES)`)).toContain(`* STATUS "${utf8(name)}" (MESSAGES 0)`);
    expect(await c.command('X', `EXAMINE "${name}"`)).toMatch(/^X OK/m);

    const other = await plain.command('L', 'LIST "" "*"');
    expect(other).toContain('"/" "&ANw-berweisungen &- Belege/&AMk-t&AOk-"\r\n');
    expect(other).not.toContain(utf8('Ü'));
  });

  it('refuses a name that is not valid UTF-8 with NO, and takes `&AOk-` as those characters, not as modified UTF-7', async () => {
    c.write(Buffer.concat([Buffer.from('D CREATE {3+}\r\n'), Buffer.from([0x61, 0xc3, 0x28]), Buffer.from('\r\n')]));
    expect(await c.until(/^D (OK|NO|BAD)[^\r\n]*\r\n/m)).toMatch(/^D NO \[CANNOT\]/m);
    expect(await c.command('M', 'CREATE "R&AOk-sum&-"')).toMatch(/^M OK/m);
    expect(sandbox.store.getFolder(user, 'R&AOk-sum&-')).toBeDefined();
    expect(sandbox.store.getFolder(user, 'Résumé')).toBeUndefined();
  });

  it('appends UTF8 (~{n}) byte for byte, and serves UTF-8 headers as stored to both kinds of session', async () => {
    expect(await c.command('S', 'SELECT INBOX')).toMatch(/^S OK/m);
    c.write(Buffer.concat([Buffer.from(`A APPEND INBOX (\\Seen) UTF8 (~{${utf8Header.length}+}\r\n`), utf8Header, Buffer.from(')\r\n')]));
    expect(await c.until(/^A (OK|NO|BAD)[^\r\n]*\r\n/m)).toMatch(/^A OK \[APPENDUID/m);
    const placements = sandbox.store.getFolder(user, 'INBOX')!.placements;
    expect(placements).toHaveLength(2);
    expect(placements[1].message.raw).toEqual(utf8Header);
    for (const session of [c, plain]) {
      if (session === plain) expect(await plain.command('P', 'SELECT INBOX')).toMatch(/^P OK/m);
      const reply = await session.command('F', 'FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
      expect(reply.split(utf8('Subject: Grüße aus Köln')).length).toBe(3);
    }
  });

  it('refuses malformed APPEND UTF8 data with BAD and stores nothing', async () => {
    const msg = Buffer.from('Subject: x\r\n\r\nx\r\n');
    const before = sandbox.store.getFolder(user, 'INBOX')!.placements.length;
    const cases: Array<[string, Buffer]> = [
      ['P1', Buffer.concat([Buffer.from(`P1 APPEND INBOX UTF8 ({${msg.length}+}\r\n`), msg, Buffer.from(')\r\n')])],
      ['P2', Buffer.concat([Buffer.from(`P2 APPEND INBOX UTF8 ~{${msg.length}+}\r\n`), msg, Buffer.from('\r\n')])],
      ['P3', Buffer.concat([Buffer.from(`P3 APPEND INBOX UTF8 (~{${msg.length}+}\r\n`), msg, Buffer.from(` ~{${msg.length}+}\r\n`), msg, Buffer.from(')\r\n')])],
      ['P4', Buffer.concat([Buffer.from(`P4 APPEND INBOX UTF8 (~{${msg.length}+}\r\n`), msg, Buffer.from('\r\n')])],
      ['P5', Buffer.from('P5 APPEND INBOX UTF8 ()\r\n')],
    ];
    for (const [tag, bytes] of cases) {
      c.write(bytes);
      expect(await c.until(new RegExp(`^${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`, 'm'))).toMatch(new RegExp(`^${tag} BAD`, 'm'));
    }
    expect(sandbox.store.getFolder(user, 'INBOX')!.placements.length).toBe(before);
    expect(await c.command('N', 'NOOP')).toMatch(/^N OK/m);
  });

  it('searches UTF-8 quoted strings without a CHARSET, and refuses a CHARSET with BAD (RFC 6855 §3)', async () => {
    expect(await c.command('Q', `SEARCH SUBJECT "grüße"`)).toMatch(/^\* SEARCH 1 2\r\n/m);
    expect(await c.command('R', 'SEARCH CHARSET UTF-8 SUBJECT "Köln"')).toMatch(/^R BAD .*CHARSET/m);
    // A session that has not enabled it still names its charset.
    expect(await plain.command('R', 'SEARCH CHARSET UTF-8 SUBJECT "Köln"')).toMatch(/^\* SEARCH 1 2\r\n/m);
  });
});

describe('imapflow, which enables UTF8=ACCEPT by itself', () => {
  it('creates and lists folders with UTF-8 names and reads UTF-8 headers', async () => {
    const flow = await imapflowClient(sandbox, user);
    try {
      expect(flow.enabled.has('UTF8=ACCEPT')).toBe(true);
      await flow.mailboxCreate('Projets/Reçus 2024');
      expect(sandbox.store.getFolder(user, 'Projets/Reçus 2024')).toBeDefined();
      const paths = (await flow.list()).map((f) => f.path);
      expect(paths).toEqual(expect.arrayContaining(['Projets/Reçus 2024', 'Überweisungen & Belege/Été']));
      const box = await flow.mailboxOpen('Überweisungen & Belege/Été');
      expect(box.exists).toBe(0);
      await flow.mailboxOpen('INBOX');
      const m = await flow.fetchOne('1', { envelope: true });
      expect(m && m.envelope?.subject).toBe('Grüße aus Köln');
      expect(m && m.envelope?.from?.[0].address).toBe('jörg@bücher.example');
    } finally {
      await flow.logout();
    }
  });
});
