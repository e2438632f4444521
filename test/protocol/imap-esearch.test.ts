import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { eml, imapSandbox, imapflowClient, untaggedOk } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * ESEARCH (RFC 4731), SEARCHRES (RFC 5182) and WITHIN (RFC 5032) over a real connection. Six messages; 2, 4 and
 * 5 are \Flagged; internal dates run from 10 days ago (1) to 1 minute ago (6).
 */
const user = 'esearch@example.test';
let sandbox: Sandbox;
let c: RawImap;
const day = 86_400_000;
const ages = [10 * day, 5 * day, 2 * day, day, 3_600_000, 60_000];

beforeAll(async () => {
  sandbox = await imapSandbox();
  ages.forEach((age, i) => {
    sandbox.store.deliver({
      raw: Buffer.from(eml(`msg ${i + 1}`)),
      envelope: { mailFrom: '', rcptTo: [user] },
      source: 'api',
      targets: [{ mailbox: user, flags: [2, 4, 5].includes(i + 1) ? ['\\Flagged'] : [], internalDate: new Date(Date.now() - age) }],
    });
  });
  c = await RawImap.connect(sandbox.ports.imap!);
  await c.command('L', `LOGIN ${user} x`);
  await c.command('S', 'SELECT INBOX');
});

afterAll(async () => {
  c?.end();
  await sandbox?.close();
});

const run = (line: string) => untaggedOk(c, line);

describe('ESEARCH (RFC 4731)', () => {
  it('advertises ESEARCH, SEARCHRES and WITHIN', async () => {
    const [caps] = await run('CAPABILITY');
    expect(caps.split(' ')).toEqual(expect.arrayContaining(['ESEARCH', 'SEARCHRES', 'WITHIN']));
  });

  it('answers UID SEARCH RETURN (MIN MAX COUNT ALL) with one ESEARCH line tagged with the command', async () => {
    expect(await run('UID SEARCH RETURN (MIN MAX COUNT ALL) FLAGGED')).toEqual(['* ESEARCH (TAG "T") UID MIN 2 MAX 5 COUNT 3 ALL 2,4:5']);
    expect(await run('SEARCH RETURN (COUNT) ALL')).toEqual(['* ESEARCH (TAG "T") COUNT 6']);
  });

  it('reads RETURN () as RETURN (ALL), and comes before CHARSET', async () => {
    expect(await run('SEARCH RETURN () CHARSET UTF-8 UNFLAGGED')).toEqual(['* ESEARCH (TAG "T") ALL 1,3,6']);
  });

  it('leaves out MIN, MAX and ALL when nothing matches but still counts 0', async () => {
    expect(await run('SEARCH RETURN (MIN MAX ALL COUNT) SUBJECT nothing-like-this')).toEqual(['* ESEARCH (TAG "T") COUNT 0']);
  });

  it('keeps a plain SEARCH answered the RFC 3501 way', async () => {
    expect(await run('SEARCH FLAGGED')).toEqual(['* SEARCH 2 4 5']);
  });

  it('refuses unknown result options and a RETURN without a list with BAD, and the session goes on', async () => {
    expect(await c.command('B1', 'SEARCH RETURN (FIRST) ALL')).toMatch(/^B1 BAD Unknown result option FIRST/m);
    expect(await c.command('B2', 'SEARCH RETURN ALL')).toMatch(/^B2 BAD .*parenthesised list/m);
    expect(await run('NOOP')).toEqual([]);
  });

  it('gives imapflow an ESearchResult for returnOptions', async () => {
    const flow = await imapflowClient(sandbox, user);
    try {
      await flow.mailboxOpen('INBOX');
      const result = await flow.search({ flagged: true }, { uid: true, returnOptions: ['MIN', 'MAX', 'COUNT'] });
      expect(result).toMatchObject({ min: 2, max: 5, count: 3 });
    } finally {
      await flow.logout();
    }
  });
});

describe('ESEARCH of ALL', () => {
  it('answers ALL with the whole range, and with ranges around the gaps once a message is expunged', async () => {
    const other = 'esearch-all@example.test';
    for (let i = 1; i <= 5; i++) sandbox.store.deliver({ raw: Buffer.from(eml(`all ${i}`)), envelope: { mailFrom: '', rcptTo: [other] }, source: 'api' });
    const d = await RawImap.connect(sandbox.ports.imap!);
    try {
      await d.command('L', `LOGIN ${other} x`);
      await d.command('S', 'SELECT INBOX');
      expect(await untaggedOk(d, 'UID SEARCH RETURN (MIN MAX COUNT ALL) ALL')).toEqual(['* ESEARCH (TAG "T") UID MIN 1 MAX 5 COUNT 5 ALL 1:5']);
      expect(await untaggedOk(d, 'SEARCH RETURN () ALL')).toEqual(['* ESEARCH (TAG "T") ALL 1:5']);
      await d.command('D', 'STORE 3 +FLAGS.SILENT (\\Deleted)');
      await d.command('E', 'EXPUNGE');
      expect(await untaggedOk(d, 'UID SEARCH RETURN (MIN MAX COUNT ALL) ALL')).toEqual(['* ESEARCH (TAG "T") UID MIN 1 MAX 5 COUNT 4 ALL 1:2,4:5']);
      expect(await untaggedOk(d, 'SEARCH RETURN (MIN MAX ALL) ALL')).toEqual(['* ESEARCH (TAG "T") MIN 1 MAX 4 ALL 1:4']);
      await d.command('D2', 'STORE 1:* +FLAGS.SILENT (\\Deleted)');
      await d.command('E2', 'EXPUNGE');
      expect(await untaggedOk(d, 'UID SEARCH RETURN (MIN MAX COUNT ALL) ALL')).toEqual(['* ESEARCH (TAG "T") UID COUNT 0']);
    } finally {
      d.end();
    }
  });
});

describe('SEARCHRES (RFC 5182)', () => {
  it('saves a result as $ without an ESEARCH answer, and FETCH, SEARCH and UID STORE use it', async () => {
    expect(await run('SEARCH RETURN (SAVE) FLAGGED')).toEqual([]);
    expect(await run('FETCH $ (UID)')).toEqual(['* 2 FETCH (UID 2)', '* 4 FETCH (UID 4)', '* 5 FETCH (UID 5)']);
    expect(await run('SEARCH $ SINCE 1-Jan-2000 NOT 4')).toEqual(['* SEARCH 2 5']);
    expect(await run('UID SEARCH UID $')).toEqual(['* SEARCH 2 4 5']);
    await run('UID STORE $ +FLAGS.SILENT ($Saved)');
    expect(await run('SEARCH KEYWORD $Saved')).toEqual(['* SEARCH 2 4 5']);
  });

  it('saves only MIN and MAX when those are all that is asked, and answers with them too', async () => {
    expect(await run('SEARCH RETURN (SAVE MIN MAX) ALL')).toEqual(['* ESEARCH (TAG "T") MIN 1 MAX 6']);
    expect(await run('UID FETCH $ (UID)')).toEqual(['* 1 FETCH (UID 1)', '* 6 FETCH (UID 6)']);
  });

  it('empties $ when a SAVE search fails', async () => {
    await run('SEARCH RETURN (SAVE) FLAGGED');
    expect(await c.command('B', 'SEARCH RETURN (SAVE) NOSUCHKEY')).toMatch(/^B BAD/m);
    expect(await run('SEARCH $')).toEqual(['* SEARCH']);
  });

  it('follows expunges (by UID) and starts empty after a new SELECT', async () => {
    const other = await RawImap.connect(sandbox.ports.imap!);
    await other.command('L', `LOGIN ${user} x`);
    await other.command('CR', 'CREATE Scratch');
    await other.command('SI', 'EXAMINE INBOX');
    expect(await other.command('CP', 'UID COPY 1:3 Scratch')).toMatch(/^CP OK/m);
    await other.command('S', 'SELECT Scratch');
    await other.command('SV', 'SEARCH RETURN (SAVE) ALL');
    await other.command('D', 'STORE 2 +FLAGS.SILENT (\\Deleted)');
    const expunged = await other.command('E', 'EXPUNGE');
    expect(expunged).toContain('* 2 EXPUNGE');
    const fetched = await other.command('F', 'FETCH $ (UID)');
    expect(fetched.split('\r\n').filter((l) => l.startsWith('* '))).toEqual(['* 1 FETCH (UID 1)', '* 2 FETCH (UID 3)']);
    await other.command('S2', 'SELECT Scratch');
    expect(await other.command('F2', 'SEARCH $')).toMatch(/^\* SEARCH\r\nF2 OK/m);
    other.end();
  });
});

describe('WITHIN (RFC 5032)', () => {
  it('selects by age in seconds of the internal date', async () => {
    expect(await run('SEARCH YOUNGER 7200')).toEqual(['* SEARCH 5 6']);
    expect(await run(`SEARCH OLDER ${3 * 86_400}`)).toEqual(['* SEARCH 1 2']);
    expect(await run(`SEARCH OLDER 1800 YOUNGER ${3 * 86_400}`)).toEqual(['* SEARCH 3 4 5']);
  });

  it('refuses a zero or missing interval with BAD', async () => {
    expect(await c.command('B1', 'SEARCH OLDER 0')).toMatch(/^B1 BAD/m);
    expect(await c.command('B2', 'SEARCH YOUNGER')).toMatch(/^B2 BAD/m);
    expect(await c.command('B3', 'SEARCH YOUNGER -5')).toMatch(/^B3 BAD/m);
  });

  it('is what imapflow uses for a since query', async () => {
    const flow = await imapflowClient(sandbox, user);
    try {
      await flow.mailboxOpen('INBOX');
      expect(await flow.search({ since: new Date(Date.now() - 1.5 * day) })).toEqual([4, 5, 6]);
    } finally {
      await flow.logout();
    }
  });
});
