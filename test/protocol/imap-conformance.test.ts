import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { imapSandbox } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * What Dovecot's imaptest found (issue 9 §1), one regression each, over real sockets: names that are not valid
 * modified UTF-7, the keyword NIL, address search keys, LSUB superiors, and FLAGS announced before a new keyword.
 */
let sandbox: Sandbox;
const clients: RawImap[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end();
  await sandbox?.close();
});

async function loggedIn(user: string): Promise<RawImap> {
  const c = await RawImap.connect(sandbox.ports.imap!);
  clients.push(c);
  await c.command('L', `LOGIN ${user} x`);
  return c;
}

function untagged(reply: string): string[] {
  return reply.split('\r\n').filter((l) => l.startsWith('* '));
}

function tagged(reply: string): string {
  return reply.trimEnd().split('\r\n').pop()!;
}

function deliver(user: string, raw: string, flags: string[] = []): void {
  sandbox.store.deliver({
    raw: Buffer.from(raw.replace(/\r?\n/g, '\r\n')),
    envelope: { mailFrom: '', rcptTo: [user] },
    source: 'api',
    targets: [{ mailbox: user, flags }],
  });
}

// Every ASTRING-CHAR that is not a letter: `&'+,-` is an invalid modified-UTF-7 run (imaptest's `atoms`).
const oddName = "!#$&'+,-.0123456789:;<=>?@^_`|[}";

describe('IMAP mailbox names that are not valid modified UTF-7', () => {
  it('answers NO (not BAD) to SELECT, STATUS and CREATE, and keeps the session', async () => {
    sandbox = await imapSandbox();
    const c = await loggedIn('atoms@example.test');
    expect(tagged(await c.command('S', `SELECT ${oddName}`))).toMatch(/^S NO \[NONEXISTENT\] /);
    expect(tagged(await c.command('T', `STATUS ${oddName} (MESSAGES)`))).toMatch(/^T NO \[NONEXISTENT\] /);
    expect(tagged(await c.command('C', `CREATE "a&'+,-b"`))).toMatch(/^C NO \[CANNOT\] /);
    expect(tagged(await c.command('N', 'NOOP'))).toBe('N OK NOOP completed');
  });

  it('answers LIST with such a pattern OK and lists nothing', async () => {
    sandbox = await imapSandbox();
    const c = await loggedIn('atoms@example.test');
    const reply = await c.command('L1', `LIST "" ${oddName}%*`);
    expect(untagged(reply)).toEqual([]);
    expect(tagged(reply)).toBe('L1 OK LIST completed');
  });
});

describe('IMAP keyword NIL', () => {
  it('stores the atom NIL as a keyword and shows it in FLAGS', async () => {
    sandbox = await imapSandbox();
    deliver('nil@example.test', 'Subject: nil\n\nbody\n');
    const c = await loggedIn('nil@example.test');
    await c.command('S', 'SELECT INBOX');
    const stored = await c.command('A', 'STORE 1 +FLAGS NIL');
    expect(tagged(stored)).toBe('A OK STORE completed');
    expect(untagged(stored)).toContain('* 1 FETCH (FLAGS (NIL \\Recent))');
    expect(untagged(await c.command('B', 'FETCH 1 FLAGS'))).toEqual(['* 1 FETCH (FLAGS (NIL \\Recent))']);
    expect(sandbox.store.getFolder('nil@example.test', 'INBOX')!.placements[0].flags.has('NIL')).toBe(true);
  });
});

// The messages of imaptest's search-addresses.mbox, written here from its description.
const addressed = [
  'From: user-from@domain.org\nTo: user-to@domain.org\n',
  'From: RealFrom <user-from@domain.org>\nTo: RealTo <user-to@domain.org>\n',
  'From: <user-from (comment)@ (comment) domain.org>\nTo: <user-to@domain.org>\n',
  'From: user-from@domain.org (RealFrom)\nTo: user-to@domain.org (RealTo)\n',
  'From: user-from1@domain.org, user-from2@domain.org\n',
  'From: RealFrom <user-from@domain.org>\nTo: groupname: groupuser1@domain.org, groupuser2@domain.org;,\n  groupname2: groupuser3@domain.org;\n',
  'From: =?UTF-8?Q?J=C3=B6rg?= <user-from@domain.org>\nTo: groupname:;\n',
];

describe('IMAP SEARCH address keys', () => {
  it.each([
    ['FROM user-from@domain.org', '1 2 3 4 6 7'],
    ['FROM realfrom', '2 4 6'],
    ['FROM ser-fro', '1 2 3 4 5 6 7'],
    // A comment after the address reads as its display name (message 4), as mail clients show it.
    ['FROM "RealFrom <user-from@"', '2 4 6'],
    ['FROM "Jörg <user"', '7'],
    ['TO user-to@domain.org', '1 2 3 4'],
    ['TO groupname', '6 7'],
    ['TO groupuser3', '6'],
    ['TO groupuser4', ''],
    ['HEADER FROM user-from@domain.org', '1 2 4 6 7'],
  ])('SEARCH %s finds %j: parsed addresses (comments, folding, names, groups) as well as the header text', async (key, expected) => {
    sandbox = await imapSandbox();
    for (const [i, head] of addressed.entries()) deliver('addr@example.test', `${head}Subject: ${i + 1}\n\nbody\n`);
    const c = await loggedIn('addr@example.test');
    await c.command('S', 'SELECT INBOX');
    const reply = await c.command('F', `SEARCH CHARSET UTF-8 ${key}`);
    expect(untagged(reply)).toEqual([`* SEARCH${expected ? ` ${expected}` : ''}`]);
  });
});

describe('IMAP LSUB with subscribed children', () => {
  it('shows an unsubscribed parent as \\Noselect while it has a subscribed child, and drops it after', async () => {
    sandbox = await imapSandbox();
    const c = await loggedIn('lsub@example.test');
    await c.command('C1', 'CREATE box/');
    await c.command('C2', 'CREATE box/leaf');
    await c.command('C3', 'CREATE box/mid/');
    await c.command('C4', 'CREATE box/mid/child');
    expect(await c.command('S1', 'SUBSCRIBE box/mid/child')).toMatch(/^S1 OK/m);
    expect(untagged(await c.command('L1', 'LSUB "" box/%'))).toEqual(['* LSUB (\\Noselect \\HasChildren) "/" "box/mid"']);
    await c.command('U2', 'UNSUBSCRIBE box/mid/child');
    expect(untagged(await c.command('L2', 'LSUB "" box/%'))).toEqual([]);
    expect(untagged(await c.command('L3', 'LSUB "" *'))).not.toContainEqual(expect.stringContaining('box'));
  });

  it('does not subscribe what CREATE makes, as Dovecot does, and keeps a deleted folder subscribed as \\NonExistent', async () => {
    sandbox = await imapSandbox();
    const c = await loggedIn('lsub@example.test');
    await c.command('C1', 'CREATE top/middle/bottom');
    await c.command('C2', 'CREATE holder/');
    const subscribed = (name: string) => sandbox.store.getFolder('lsub@example.test', name)!.subscribed;
    expect([subscribed('top'), subscribed('top/middle'), subscribed('top/middle/bottom'), subscribed('holder')]).toEqual([false, false, false, false]);
    // The default folders stay subscribed.
    expect(subscribed('INBOX')).toBe(true);

    expect(await c.command('S1', 'SUBSCRIBE top/middle/bottom')).toMatch(/^S1 OK/m);
    expect(await c.command('D1', 'DELETE top/middle/bottom')).toMatch(/^D1 OK/m);
    expect(untagged(await c.command('L1', 'LIST (SUBSCRIBED) "" top/*'))).toEqual(['* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" "top/middle/bottom"']);
    expect(untagged(await c.command('L2', 'LSUB "" top/*'))).toEqual(['* LSUB (\\Noselect \\HasNoChildren) "/" "top/middle/bottom"']);
    expect(untagged(await c.command('L3', 'LIST "" top/*'))).toEqual(['* LIST (\\HasNoChildren) "/" "top/middle"']);
    // Created again, the name is subscribed again; a name with no folder can be subscribed and unsubscribed.
    expect(await c.command('C3', 'CREATE top/middle/bottom')).toMatch(/^C3 OK/m);
    expect(subscribed('top/middle/bottom')).toBe(true);
    expect(await c.command('S2', 'SUBSCRIBE never/made')).toMatch(/^S2 OK/m);
    expect(untagged(await c.command('L4', 'LIST (SUBSCRIBED) "" never/*'))).toEqual(['* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" "never/made"']);
    expect(await c.command('U1', 'UNSUBSCRIBE never/made')).toMatch(/^U1 OK/m);
    expect(untagged(await c.command('L5', 'LIST (SUBSCRIBED) "" never/*'))).toEqual([]);
    expect(sandbox.store.getMailbox('lsub@example.test')!.lostSubscriptions.size).toBe(0);
  });
});

describe('IMAP FLAGS when a keyword is new to the folder', () => {
  it('sends FLAGS and PERMANENTFLAGS to another session before its FETCH shows the keyword', async () => {
    sandbox = await imapSandbox();
    deliver('kw@example.test', 'Subject: kw\n\nbody\n');
    const writer = await loggedIn('kw@example.test');
    const reader = await loggedIn('kw@example.test');
    await writer.command('S', 'SELECT INBOX');
    await reader.command('S', 'SELECT INBOX');
    await writer.command('A', 'STORE 1 +FLAGS.SILENT ($Label3)');
    const lines = untagged(await reader.command('N', 'NOOP'));
    expect(lines).toEqual([
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label3)',
      '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label3 \\*)] Flags permitted',
      '* 1 FETCH (UID 1 FLAGS ($Label3))',
    ]);
  });

  it('announces it before a FETCH of the session that stored it, even after STORE .SILENT', async () => {
    sandbox = await imapSandbox();
    deliver('kw@example.test', 'Subject: kw\n\nbody\n');
    const c = await loggedIn('kw@example.test');
    await c.command('S', 'SELECT INBOX');
    const stored = untagged(await c.command('A', 'STORE 1 +FLAGS.SILENT ($Fresh)'));
    expect(stored[0]).toBe('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Fresh)');
    expect(untagged(await c.command('B', 'FETCH 1 FLAGS'))).toEqual(['* 1 FETCH (FLAGS ($Fresh \\Recent))']);
  });

  it("announces, before its STORE response, a keyword another session added that this one hasn't heard of", async () => {
    sandbox = await imapSandbox();
    deliver('kw@example.test', 'Subject: kw\n\nbody\n');
    const other = await loggedIn('kw@example.test');
    const c = await loggedIn('kw@example.test');
    await other.command('S', 'SELECT INBOX');
    await c.command('S', 'SELECT INBOX');
    await other.command('A', 'STORE 1 +FLAGS.SILENT ($Theirs)');
    const lines = untagged(await c.command('B', 'STORE 1 +FLAGS ($Mine)'));
    expect(lines[0]).toBe('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Theirs $Mine)');
    expect(lines.indexOf('* 1 FETCH (FLAGS ($Theirs $Mine))')).toBeGreaterThan(0);
  });

  it('announces a keyword that arrived with a new message before FETCH shows it', async () => {
    sandbox = await imapSandbox();
    const c = await loggedIn('kw@example.test');
    await c.command('S', 'SELECT INBOX');
    deliver('kw@example.test', 'Subject: kw\n\nbody\n', ['$FromApi']);
    const lines = untagged(await c.command('F', 'FETCH 1 FLAGS'));
    expect(lines).toEqual(['* 1 EXISTS', '* 1 RECENT']);
    const fetched = untagged(await c.command('G', 'FETCH 1 FLAGS'));
    expect(fetched[0]).toBe('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $FromApi)');
    expect(fetched[2]).toBe('* 1 FETCH (FLAGS ($FromApi \\Recent))');
  });

  it('announces it in the middle of a flag sync, right before the first line that shows it', async () => {
    sandbox = await imapSandbox();
    deliver('kw@example.test', 'Subject: one\n\nbody\n');
    const c = await loggedIn('kw@example.test');
    await c.command('S', 'SELECT INBOX');
    deliver('kw@example.test', 'Subject: two\n\nbody\n', ['$Mid']);
    deliver('kw@example.test', 'Subject: three\n\nbody\n', ['$Mid']);
    expect(untagged(await c.command('N', 'NOOP'))).toEqual(['* 3 EXISTS', '* 3 RECENT']);
    for (const command of ['UID FETCH 1:* (FLAGS)', 'UID FETCH 1:* (FLAGS MODSEQ)']) {
      const lines = untagged(await c.command('F', command)).map((l) => l.replace(/ MODSEQ \(\d+\)/, ''));
      // Announced once per session: the second sync shows the keyword without a FLAGS line.
      const announced = command.includes('MODSEQ') ? [] : ['* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Mid)', '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Mid \\*)] Flags permitted'];
      expect(lines.filter((l) => !l.startsWith('* OK [HIGHESTMODSEQ'))).toEqual([
        '* 1 FETCH (UID 1 FLAGS (\\Recent))',
        ...announced,
        '* 2 FETCH (UID 2 FLAGS ($Mid \\Recent))',
        '* 3 FETCH (UID 3 FLAGS ($Mid \\Recent))',
      ]);
    }
  });
});
