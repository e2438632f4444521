import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { eml, imapSandbox, untaggedOk } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * IMAP4rev2 (RFC 9051) next to IMAP4rev1, over raw sockets: each RFC 9051 Appendix E difference that a server shows
 * on the wire, asserted for a session that sent `ENABLE IMAP4rev2`, with an IMAP4rev1 session beside it where the
 * two must differ. INBOX holds three messages; 2 is \Flagged.
 */
const user = 'rev2@example.test';
let sandbox: Sandbox;
let c: RawImap;

function deliver(subject: string, flags: string[] = []): void {
  sandbox.store.deliver({ raw: Buffer.from(eml(subject)), envelope: { mailFrom: '', rcptTo: [user] }, source: 'api', targets: [{ mailbox: user, flags }] });
}

async function login(): Promise<RawImap> {
  const client = await RawImap.connect(sandbox.ports.imap!);
  expect(await client.command('L', `LOGIN ${user} x`)).toMatch(/^L OK/m);
  return client;
}

/** A session that has enabled IMAP4rev2 (and checked the ENABLED answer). */
async function rev2Login(): Promise<RawImap> {
  const client = await login();
  expect(await untaggedOk(client, 'ENABLE IMAP4rev2')).toEqual(['* ENABLED IMAP4rev2']);
  return client;
}

const run = (line: string) => untaggedOk(c, line);
/** The bytes of a UTF-8 name as RawImap (latin1) shows them. */
const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

beforeAll(async () => {
  sandbox = await imapSandbox();
  deliver('one');
  deliver('two', ['\\Flagged']);
  deliver('three');
  c = await rev2Login();
});

afterAll(async () => {
  c?.end();
  await sandbox?.close();
});

describe('IMAP4rev2 advertised next to IMAP4rev1 (RFC 9051 Appendix A)', () => {
  it('lists IMAP4rev2 beside IMAP4rev1, and every extension RFC 9051 folds in, before and after login', async () => {
    const fresh = await RawImap.connect(sandbox.ports.imap!);
    const [before] = (await fresh.command('C', 'CAPABILITY')).split('\r\n').filter((l) => l.startsWith('* CAPABILITY'));
    expect(before.split(' ')).toEqual(expect.arrayContaining(['IMAP4rev1', 'IMAP4rev2', 'SASL-IR', 'AUTH=PLAIN', 'LITERAL+']));
    fresh.end();
    const [after] = await run('CAPABILITY');
    // Appendix E item 1: NAMESPACE, UNSELECT, UIDPLUS, ESEARCH, SEARCHRES, ENABLE, IDLE, SASL-IR (before login),
    // LIST-EXTENDED, LIST-STATUS, MOVE and LITERAL- (LITERAL+ is its superset, RFC 7888 §4); item 2: STATUS=SIZE.
    const folded = ['NAMESPACE', 'UNSELECT', 'UIDPLUS', 'ESEARCH', 'SEARCHRES', 'ENABLE', 'IDLE', 'LIST-EXTENDED', 'LIST-STATUS', 'MOVE', 'LITERAL+', 'SPECIAL-USE', 'STATUS=SIZE', 'CHILDREN'];
    expect(after.split(' ')).toEqual(expect.arrayContaining(['IMAP4rev1', 'IMAP4rev2', ...folded]));
  });

  it('answers ENABLE IMAP4rev2 once with ENABLED IMAP4rev2, then with a bare ENABLED, and ignores unknown names', async () => {
    expect(await run('ENABLE IMAP4rev2')).toEqual(['* ENABLED']);
    expect(await run('ENABLE imap4rev2 X-NOTHING')).toEqual(['* ENABLED']);
    const fresh = await login();
    expect(await untaggedOk(fresh, 'ENABLE X-NOTHING IMAP4REV2 CONDSTORE')).toEqual(['* ENABLED IMAP4rev2 CONDSTORE']);
    fresh.end();
  });

  it('refuses an ENABLE without names or with a non-atom name with BAD, and the session goes on', async () => {
    expect(await c.command('E1', 'ENABLE')).toMatch(/^E1 BAD /m);
    expect(await c.command('E2', 'ENABLE (IMAP4rev2)')).toMatch(/^E2 BAD /m);
    expect(await c.command('E3', 'ENABLE "IMAP4rev2"')).toMatch(/^E3 BAD /m);
    expect(await run('NOOP')).toEqual([]);
  });

  it('refuses ENABLE before login (RFC 5161 §3.1: authenticated state)', async () => {
    const fresh = await RawImap.connect(sandbox.ports.imap!);
    expect(await fresh.command('E', 'ENABLE IMAP4rev2')).toMatch(/^E BAD /m);
    fresh.end();
  });
});

describe('SELECT in an IMAP4rev2 session (RFC 9051 §6.3.2)', () => {
  it('sends a LIST response and neither RECENT nor the UNSEEN code; an IMAP4rev1 session still gets both', async () => {
    const lines = await run('SELECT INBOX');
    expect(lines).toEqual(expect.arrayContaining(['* 3 EXISTS', '* LIST (\\HasNoChildren) "/" "INBOX"', expect.stringMatching(/^\* OK \[UIDVALIDITY \d+\]/), '* OK [UIDNEXT 4] Predicted next UID']));
    expect(lines.filter((l) => /RECENT|UNSEEN/.test(l))).toEqual([]);
    const rev1 = await login();
    const rev1Lines = await untaggedOk(rev1, 'EXAMINE INBOX');
    expect(rev1Lines).toEqual(expect.arrayContaining(['* 3 RECENT', '* OK [UNSEEN 1] First unseen']));
    expect(rev1Lines.filter((l) => l.startsWith('* LIST'))).toEqual([]);
    rev1.end();
  });

  it('gives the LIST response the folder\'s special use and children, for EXAMINE too', async () => {
    await run('CREATE Sent/Old');
    expect(await run('EXAMINE Sent')).toContain('* LIST (\\HasChildren \\Sent) "/" "Sent"');
    await run('DELETE Sent/Old');
  });

  it('says OK [CLOSED] when a second SELECT replaces the first', async () => {
    expect((await run('EXAMINE INBOX'))[0]).toBe('* OK [CLOSED] Previous folder closed');
    expect((await run('SELECT INBOX'))[0]).toBe('* OK [CLOSED] Previous folder closed');
  });

  it('answers SELECT of a missing folder NO [NONEXISTENT]', async () => {
    expect(await c.command('N', 'EXAMINE "No such"')).toMatch(/^N NO \[NONEXISTENT\]/m);
    expect(await run('SELECT INBOX')).toContain('* 3 EXISTS');
  });
});

describe('no \\Recent in IMAP4rev2 (RFC 9051 Appendix E)', () => {
  it('never shows or claims \\Recent, leaving it to an IMAP4rev1 session, which still sees it', async () => {
    const rev1 = await login();
    // The rev2 session selected INBOX first and claimed nothing: all three are still recent for IMAP4rev1.
    expect(await untaggedOk(rev1, 'SELECT INBOX')).toContain('* 3 RECENT');
    deliver('four');
    expect(await untaggedOk(rev1, 'NOOP')).toEqual(['* 4 EXISTS', '* 4 RECENT']);
    expect(await untaggedOk(rev1, 'FETCH 4 (FLAGS)')).toEqual(['* 4 FETCH (FLAGS (\\Recent))']);
    rev1.end();
    expect(await run('NOOP')).toEqual(['* 4 EXISTS']);
    expect(await run('FETCH 1:4 (FLAGS)')).toEqual(['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS (\\Flagged))', '* 3 FETCH (FLAGS ())', '* 4 FETCH (FLAGS ())']);
  });

  it('refuses the RECENT, NEW and OLD search keys with BAD (they left the grammar) and goes on', async () => {
    expect(await c.command('R1', 'SEARCH RECENT')).toMatch(/^R1 BAD .*IMAP4rev2/m);
    expect(await c.command('R2', 'UID SEARCH OR NEW FLAGGED')).toMatch(/^R2 BAD /m);
    expect(await c.command('R3', 'SEARCH NOT OLD')).toMatch(/^R3 BAD /m);
    expect(await run('NOOP')).toEqual([]);
  });

  it('refuses STATUS (RECENT) with BAD but serves the rev2 items DELETED and SIZE', async () => {
    expect(await c.command('S1', 'STATUS INBOX (MESSAGES RECENT)')).toMatch(/^S1 BAD RECENT is not a STATUS item in IMAP4rev2/m);
    const size = [...sandbox.store.getMailbox(user)!.folders.get('INBOX')!.placements].reduce((n, p) => n + p.message.size, 0);
    expect(await run('STATUS INBOX (MESSAGES UNSEEN DELETED SIZE)')).toEqual([`* STATUS "INBOX" (MESSAGES 4 UNSEEN 4 DELETED 0 SIZE ${size})`]);
  });

  it('still answers STATUS (RECENT) to an IMAP4rev1 session', async () => {
    const rev1 = await login();
    expect(await untaggedOk(rev1, 'STATUS INBOX (RECENT)')).toEqual([expect.stringMatching(/^\* STATUS "INBOX" \(RECENT \d+\)$/)]);
    rev1.end();
  });
});

describe('SEARCH answers with ESEARCH in IMAP4rev2 (RFC 9051 §6.4.4, §7.3.4)', () => {
  it('reads a SEARCH without RETURN as RETURN (ALL), with the tag and the UID indicator', async () => {
    expect(await run('SEARCH FLAGGED')).toEqual(['* ESEARCH (TAG "T") ALL 2']);
    expect(await run('SEARCH ALL')).toEqual(['* ESEARCH (TAG "T") ALL 1:4']);
    expect(await run('UID SEARCH CHARSET UTF-8 NOT FLAGGED')).toEqual(['* ESEARCH (TAG "T") UID ALL 1,3:4']);
  });

  it('sends ESEARCH with no ALL when nothing matches', async () => {
    expect(await run('SEARCH SUBJECT nothing-like-this')).toEqual(['* ESEARCH (TAG "T")']);
    expect(await run('UID SEARCH SUBJECT nothing-like-this')).toEqual(['* ESEARCH (TAG "T") UID']);
  });

  it('keeps RETURN options as asked, and SAVE alone still answers nothing', async () => {
    expect(await run('UID SEARCH RETURN (MIN MAX COUNT) ALL')).toEqual(['* ESEARCH (TAG "T") UID MIN 1 MAX 4 COUNT 4']);
    expect(await run('SEARCH RETURN (SAVE) FLAGGED')).toEqual([]);
    expect(await run('FETCH $ (UID)')).toEqual(['* 2 FETCH (UID 2)']);
  });

  it('still answers an IMAP4rev1 session with * SEARCH', async () => {
    const rev1 = await login();
    await rev1.command('S', 'EXAMINE INBOX');
    expect(await untaggedOk(rev1, 'SEARCH FLAGGED')).toEqual(['* SEARCH 2']);
    rev1.end();
  });

  it('adds MODSEQ to the ESEARCH of a SEARCH MODSEQ (RFC 7162 §3.1.5 over RFC 9051), and leaves SORT as * SORT', async () => {
    // Its own session: SEARCH MODSEQ turns CONDSTORE on, which adds MODSEQ to every later FETCH.
    const cs = await rev2Login();
    await cs.command('S', 'EXAMINE INBOX');
    expect(await untaggedOk(cs, 'UID SEARCH MODSEQ 1')).toEqual([expect.stringMatching(/^\* OK \[HIGHESTMODSEQ \d+\]/), expect.stringMatching(/^\* ESEARCH \(TAG "T"\) UID ALL 1:4 MODSEQ \d+$/)]);
    // By subject (four, one, three, two): arrival times may tie within a millisecond.
    expect(await untaggedOk(cs, 'SORT (SUBJECT) UTF-8 ALL')).toEqual(['* SORT 4 1 3 2']);
    cs.end();
  });

  it('keeps CHECK (removed by RFC 9051) working as a NOOP for a client that still sends it', async () => {
    expect(await run('CHECK')).toEqual([]);
  });

  it('takes only UTF-8 and US-ASCII as CHARSET: another is NO [BADCHARSET (UTF-8 US-ASCII)]', async () => {
    expect(await c.command('C1', 'SEARCH CHARSET ISO-8859-1 SUBJECT one')).toMatch(/^C1 NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/m);
    expect(await run('SEARCH CHARSET US-ASCII SUBJECT one')).toEqual(['* ESEARCH (TAG "T") ALL 1']);
  });

  it('finds the RFC 9051 §2.3.2 $-keywords a client sets ($Junk, $Forwarded, $MDNSent...)', async () => {
    const stored = await run('STORE 3 +FLAGS ($Junk $Forwarded $MDNSent)');
    expect(stored).toContain('* 3 FETCH (FLAGS ($Junk $Forwarded $MDNSent))');
    expect(await run('SEARCH KEYWORD $Junk')).toEqual(['* ESEARCH (TAG "T") ALL 3']);
    expect(await run('UID SEARCH KEYWORD $Forwarded UNKEYWORD $Phishing')).toEqual(['* ESEARCH (TAG "T") UID ALL 3']);
    await run('STORE 3 -FLAGS.SILENT ($Junk $Forwarded $MDNSent)');
  });
});

describe('unsolicited updates in IMAP4rev2 (RFC 9051 §7.5.2, Appendix E)', () => {
  it('includes the UID in every unsolicited FETCH and no RECENT after EXISTS', async () => {
    const other = await login();
    await other.command('S', 'SELECT INBOX');
    await other.command('F', 'STORE 1 +FLAGS.SILENT (\\Answered)');
    other.end();
    expect(await run('NOOP')).toEqual(['* 1 FETCH (UID 1 FLAGS (\\Answered))']);
    await run('STORE 1 -FLAGS.SILENT (\\Answered)');
  });
});

describe('LIST in IMAP4rev2 (RFC 9051 §6.3.9, folded LIST-EXTENDED and LIST-STATUS)', () => {
  it('sends UTF-8 mailbox names to a rev2 session and modified UTF-7 to an IMAP4rev1 one', async () => {
    expect(await run('CREATE "Entwürfe"')).toEqual([]);
    expect(await run('LIST "" "Entw*"')).toEqual([wire('* LIST (\\HasNoChildren) "/" "Entwürfe"')]);
    expect(await run('STATUS "Entwürfe" (MESSAGES)')).toEqual([wire('* STATUS "Entwürfe" (MESSAGES 0)')]);
    // Names coming in are UTF-8 too: the modified UTF-7 spelling is another (missing) folder to a rev2 session.
    expect(await c.command('S7', 'STATUS "Entw&APw-rfe" (MESSAGES)')).toMatch(/^S7 NO \[NONEXISTENT\]/m);
    const rev1 = await login();
    expect(await untaggedOk(rev1, 'LIST "" "Entw*"')).toEqual(['* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"']);
    rev1.end();
  });

  it('answers \\NonExistent for a subscribed name whose folder was deleted, and STATUS with RETURN (STATUS)', async () => {
    await run('CREATE Gone');
    await run('SUBSCRIBE Gone');
    await run('DELETE Gone');
    expect(await run('LIST (SUBSCRIBED) "" "Gone"')).toEqual(['* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" "Gone"']);
    expect(await run('LIST "" "INBOX" RETURN (STATUS (MESSAGES DELETED))')).toEqual(['* LIST (\\HasNoChildren) "/" "INBOX"', '* STATUS "INBOX" (MESSAGES 4 DELETED 0)']);
    expect(await c.command('LS', 'LIST "" "INBOX" RETURN (STATUS (RECENT))')).toMatch(/^LS BAD /m);
  });

  it('keeps LSUB working (deprecated, not removed, for clients that still send it)', async () => {
    await run('SUBSCRIBE INBOX');
    expect(await run('LSUB "" "INBOX"')).toEqual(['* LSUB () "/" "INBOX"'.replace('()', '(\\HasNoChildren)')]);
  });
});

describe('RFC 5530 response codes folded into IMAP4rev2', () => {
  it('answers CREATE of an existing folder NO [ALREADYEXISTS] and RENAME into itself NO [CANNOT]', async () => {
    expect(await c.command('A', 'CREATE INBOX')).toMatch(/^A NO \[ALREADYEXISTS\]/m);
    await run('CREATE Parent');
    expect(await c.command('B', 'RENAME Parent Parent/Child')).toMatch(/^B NO \[CANNOT\]/m);
  });

  it('answers DELETE INBOX NO [CANNOT] and DELETE of a missing folder NO [NONEXISTENT]', async () => {
    expect(await c.command('D1', 'DELETE INBOX')).toMatch(/^D1 NO \[CANNOT\]/m);
    expect(await c.command('D2', 'DELETE "Never made"')).toMatch(/^D2 NO \[NONEXISTENT\]/m);
  });

  it('answers COPY and MOVE to a missing folder NO [TRYCREATE], creating nothing (Appendix E item 7)', async () => {
    expect(await c.command('C', 'COPY 1 Missing')).toMatch(/^C NO \[TRYCREATE\]/m);
    expect(await c.command('M', 'UID MOVE 1 Missing')).toMatch(/^M NO \[TRYCREATE\]/m);
    expect(await run('LIST "" "Missing"')).toEqual([]);
  });
});

describe('extensions RFC 9051 requires, used from a rev2 session', () => {
  it('NAMESPACE, a LITERAL- sized non-synchronizing literal, UIDPLUS APPENDUID and COPYUID for MOVE and UID MOVE', async () => {
    expect(await run('NAMESPACE')).toEqual(['* NAMESPACE (("" "/")) NIL NIL']);
    c.write('N1 CREATE {7+}\r\nMoveTo1\r\n');
    expect(await c.until(/^N1 (OK|NO|BAD).*\r\n/m)).toMatch(/^N1 OK/m);
    await run('CREATE MoveTo2');
    const msg = eml('appended');
    c.write(`AP APPEND INBOX {${msg.length}+}\r\n${msg}\r\n`);
    expect(await c.until(/^AP (OK|NO|BAD).*\r\n/m)).toMatch(/^AP OK \[APPENDUID \d+ 5\]/m);
    const moved = await run('MOVE 5 MoveTo1');
    expect(moved[0]).toMatch(/^\* OK \[COPYUID \d+ 5 1\]/);
    expect(moved).toContain('* 5 EXPUNGE');
    await run('SELECT MoveTo1');
    const uidMoved = await run('UID MOVE 1 MoveTo2');
    expect(uidMoved[0]).toMatch(/^\* OK \[COPYUID \d+ 1 1\]/);
  });

  it('UNSELECT leaves the folder without expunging, and UID EXPUNGE removes only the named \\Deleted messages', async () => {
    await run('SELECT MoveTo2');
    await run('STORE 1 +FLAGS.SILENT (\\Deleted)');
    await run('UNSELECT');
    expect(await run('STATUS MoveTo2 (MESSAGES DELETED)')).toEqual(['* STATUS "MoveTo2" (MESSAGES 1 DELETED 1)']);
    await run('SELECT MoveTo2');
    expect(await run('UID EXPUNGE 1')).toEqual(['* 1 EXPUNGE']);
  });

  it('IDLE pushes a delivery as EXISTS alone, with no RECENT', async () => {
    await run('SELECT INBOX');
    c.write('I IDLE\r\n');
    await c.until(/^\+ .*\r\n/m);
    deliver('during idle');
    expect(await c.until(/^\* \d+ EXISTS\r\n/m)).not.toMatch(/RECENT/);
    c.write('DONE\r\n');
    const done = await c.until(/^I (OK|NO|BAD).*\r\n/m);
    expect(done).not.toMatch(/RECENT/);
    expect(done).toMatch(/^I OK/m);
  });

  it('serves FETCH BINARY[] (the FETCH side of BINARY is in the base protocol)', async () => {
    const [line] = await run('FETCH 1 (BINARY.SIZE[1])');
    expect(line).toMatch(/^\* 1 FETCH \(BINARY\.SIZE\[1\] \d+\)$/);
  });
});

describe('ENABLE IMAP4rev2 with a folder already selected (RFC 5161 §3.1 lets the server allow it)', () => {
  it('is accepted, and from then on \\Recent is gone and SEARCH answers ESEARCH', async () => {
    const late = await login();
    await late.command('S', 'SELECT INBOX');
    deliver('late');
    expect(await untaggedOk(late, 'NOOP')).toEqual([expect.stringMatching(/^\* \d+ EXISTS$/), expect.stringMatching(/^\* [1-9]\d* RECENT$/)]);
    const n = sandbox.store.getMailbox(user)!.folders.get('INBOX')!.placements.length;
    expect(await untaggedOk(late, `FETCH ${n} (FLAGS)`)).toEqual([`* ${n} FETCH (FLAGS (\\Recent))`]);
    expect(await untaggedOk(late, 'ENABLE IMAP4rev2')).toEqual(['* ENABLED IMAP4rev2']);
    expect(await untaggedOk(late, `FETCH ${n} (FLAGS)`)).toEqual([`* ${n} FETCH (FLAGS ())`]);
    expect(await untaggedOk(late, 'SEARCH SUBJECT late')).toEqual([`* ESEARCH (TAG "T") ALL ${n}`]);
    late.end();
  });
});
