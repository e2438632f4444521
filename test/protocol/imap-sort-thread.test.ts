import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { imapSandbox, untaggedOk } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * SORT, ESORT and THREAD (RFC 5256, RFC 5267) over a real connection. Nine messages built so every criterion
 * gives a different order: a reply tree (1-4), a reply to a missing message with the subject of another (5, 6),
 * a message without Message-ID (7), two replies to the same missing message (8, 9). Message 2 arrived last.
 */
const user = 'sorter@example.test';
const spec: Array<{ subject: string; id?: string; refs?: string; irt?: string; hour: number }> = [
  { subject: 'Lunch plans', id: 'a@x', hour: 10 },
  { subject: 'Re: Lunch plans', id: 'b@x', refs: '<a@x>', hour: 11 },
  { subject: 'Re: Lunch plans', id: 'c@x', refs: '<a@x> <b@x>', hour: 12 },
  { subject: 'RE: lunch plans', id: 'd@x', irt: '<a@x>', hour: 13 },
  { subject: 'Budget', id: 'e@x', hour: 9 },
  { subject: 'Re: [team] Budget', id: 'f@x', refs: '<missing@x>', hour: 14 },
  { subject: 'Other', hour: 8 },
  { subject: 'Re: Orphans', id: 'h@x', refs: '<gone@x>', hour: 15 },
  { subject: 'Re: Orphans', id: 'i@x', refs: '<gone@x>', hour: 16 },
];

let sandbox: Sandbox;
let c: RawImap;

beforeAll(async () => {
  sandbox = await imapSandbox();
  const base = Date.UTC(2024, 0, 1);
  spec.forEach((m, i) => {
    const n = i + 1;
    const head = [
      `From: ${n % 2 === 0 ? 'amy' : 'zed'}@example.test`,
      `To: ${String.fromCharCode(0x60 + (10 - n))}@example.test`,
      `Subject: ${m.subject}`,
      `Date: Mon, 01 Jan 2024 ${String(m.hour).padStart(2, '0')}:00:00 +0000`,
      ...(m.id ? [`Message-ID: <${m.id}>`] : []),
      ...(m.refs ? [`References: ${m.refs}`] : []),
      ...(m.irt ? [`In-Reply-To: ${m.irt}`] : []),
    ].join('\r\n');
    sandbox.store.deliver({
      // Sizes grow with n by far more than the headers differ.
      raw: Buffer.from(`${head}\r\n\r\n${'x'.repeat(n * 100)}\r\n`),
      envelope: { mailFrom: '', rcptTo: [user] },
      source: 'api',
      targets: [{ mailbox: user, internalDate: new Date(base + (n === 2 ? 100 : n) * 60_000) }],
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

describe('SORT (RFC 5256)', () => {
  it('advertises SORT, ESORT and both THREAD algorithms', async () => {
    const [caps] = await run('CAPABILITY');
    expect(caps.split(' ')).toEqual(expect.arrayContaining(['SORT', 'ESORT', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES']));
  });

  it.each([
    ['(REVERSE ARRIVAL) UTF-8 ALL', '2 9 8 7 6 5 4 3 1'],
    ['(ARRIVAL) UTF-8 ALL', '1 3 4 5 6 7 8 9 2'],
    ['(DATE) US-ASCII ALL', '7 5 1 2 3 4 6 8 9'],
    ['(SUBJECT) UTF-8 ALL', '5 6 1 2 3 4 8 9 7'],
    ['(SUBJECT REVERSE DATE) UTF-8 ALL', '6 5 4 3 2 1 9 8 7'],
    ['(FROM REVERSE SIZE) UTF-8 ALL', '8 6 4 2 9 7 5 3 1'],
    ['(TO) UTF-8 ALL', '9 8 7 6 5 4 3 2 1'],
    ['(CC SIZE) UTF-8 ALL', '1 2 3 4 5 6 7 8 9'],
    ['(REVERSE SIZE) UTF-8 SUBJECT lunch', '4 3 2 1'],
    ['(DATE) UTF-8 SUBJECT nothing-matches', ''],
  ])('SORT %s -> %s', async (args, expected) => {
    expect(await run(`SORT ${args}`)).toEqual([`* SORT${expected ? ' ' + expected : ''}`]);
  });

  it('answers UID SORT with UIDs', async () => {
    await run('CREATE Copy');
    await run('UID COPY 1:9 Copy');
    await run('SELECT Copy');
    await run('STORE 1:3 +FLAGS.SILENT (\\Deleted)');
    await run('EXPUNGE');
    expect(await run('UID SORT (REVERSE DATE) UTF-8 ALL')).toEqual(['* SORT 9 8 6 4 5 7']);
    expect(await run('SORT (REVERSE DATE) UTF-8 ALL')).toEqual(['* SORT 6 5 3 1 2 4']);
    await run('SELECT INBOX');
  });
});

describe('ESORT (RFC 5267)', () => {
  it('answers SORT RETURN with one ESEARCH whose ALL is in sort order and MIN/MAX are its ends', async () => {
    expect(await run('SORT RETURN (MIN MAX COUNT ALL) (REVERSE ARRIVAL) UTF-8 ALL')).toEqual(['* ESEARCH (TAG "T") MIN 2 MAX 1 COUNT 9 ALL 2,9,8,7,6,5,4,3,1']);
    expect(await run('UID SORT RETURN (COUNT) (DATE) UTF-8 FROM amy')).toEqual(['* ESEARCH (TAG "T") UID COUNT 4']);
    expect(await run('SORT RETURN () (DATE) UTF-8 SUBJECT lunch')).toEqual(['* ESEARCH (TAG "T") ALL 1:4']);
  });

  it('saves a SORT result as $ (SEARCHRES)', async () => {
    expect(await run('SORT RETURN (SAVE) (REVERSE DATE) UTF-8 FROM zed')).toEqual([]);
    expect(await run('SEARCH $')).toEqual(['* SEARCH 1 3 5 7 9']);
  });
});

describe('THREAD (RFC 5256)', () => {
  it('threads by REFERENCES: reply trees, dummies for missing parents, subjects merged', async () => {
    expect(await run('THREAD REFERENCES UTF-8 ALL')).toEqual(['* THREAD (7)(5 6)(1 (2 3)(4))((8)(9))']);
  });

  it('threads by ORDEREDSUBJECT: one thread per base subject, ordered by first date', async () => {
    expect(await run('THREAD ORDEREDSUBJECT UTF-8 ALL')).toEqual(['* THREAD (7)(5 6)(1 (2)(3)(4))(8 9)']);
  });

  it('threads only what the search matched, and UID THREAD answers with UIDs', async () => {
    expect(await run('THREAD REFERENCES UTF-8 NOT SUBJECT lunch')).toEqual(['* THREAD (7)(5 6)((8)(9))']);
    expect(await run('UID THREAD REFERENCES UTF-8 UID 1:3')).toEqual(['* THREAD (1 2 3)']);
    expect(await run('THREAD REFERENCES UTF-8 SUBJECT nothing-matches')).toEqual(['* THREAD']);
    expect(await run('UID THREAD ORDEREDSUBJECT UTF-8 UID 1:3')).toEqual(['* THREAD (1 (2)(3))']);
    expect(await run('THREAD ORDEREDSUBJECT UTF-8 UID 5:7')).toEqual(['* THREAD (7)(5 6)']);
    expect(await run('THREAD ORDEREDSUBJECT UTF-8 SUBJECT nothing-matches')).toEqual(['* THREAD']);
  });

  it('never links a reference loop', async () => {
    const loop = 'From: a@x\r\nSubject: loop\r\nMessage-ID: <l1@x>\r\nReferences: <l2@x>\r\n\r\nx\r\n';
    const back = 'From: a@x\r\nSubject: other loop\r\nMessage-ID: <l2@x>\r\nReferences: <l1@x>\r\n\r\nx\r\n';
    await run('CREATE Loop');
    for (const m of [loop, back]) sandbox.store.deliver({ raw: Buffer.from(m), envelope: { mailFrom: '', rcptTo: [user] }, source: 'api', targets: [{ mailbox: user, folder: 'Loop' }] });
    await run('SELECT Loop');
    expect(await run('THREAD REFERENCES UTF-8 ALL')).toEqual(['* THREAD (2 1)']);
    await run('SELECT INBOX');
  });
});

describe('SORT and THREAD bad input', () => {
  it.each([
    ['SORT (FOO) UTF-8 ALL', /BAD Unknown sort criterion FOO/],
    ['SORT (REVERSE) UTF-8 ALL', /BAD REVERSE must be followed/],
    ['SORT () UTF-8 ALL', /BAD Empty sort criteria/],
    ['SORT (ARRIVAL)', /BAD Missing charset/],
    ['SORT (ARRIVAL) UTF-8', /BAD Missing search criteria/],
    ['SORT ARRIVAL UTF-8 ALL', /BAD Bad sort criteria/],
    ['SORT (ARRIVAL) KOI8-R ALL', /NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/],
    ['THREAD FOO UTF-8 ALL', /BAD Unknown threading algorithm FOO/],
    ['THREAD REFERENCES UTF-8', /BAD Missing search criteria/],
    ['THREAD (REFERENCES) UTF-8 ALL', /BAD Bad threading algorithm/],
  ])('%s -> %s', async (line, answer) => {
    expect(await c.command('B', line)).toMatch(new RegExp(`^B ${answer.source}`, 'm'));
  });

  it('is refused before SELECT', async () => {
    const other = await RawImap.connect(sandbox.ports.imap!);
    await other.command('L', `LOGIN ${user} x`);
    expect(await other.command('B', 'SORT (DATE) UTF-8 ALL')).toMatch(/^B BAD SORT is not allowed in the authenticated state/m);
    other.end();
  });
});
