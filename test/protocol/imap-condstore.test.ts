import { afterEach, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import Pop3Command from 'node-pop3';
import type { Sandbox } from '../../src/index.js';
import { RawImap } from './imap-raw-client.js';
import { eml, imapSandbox } from './imap-helpers.js';

/**
 * CONDSTORE and QRESYNC (RFC 7162) against real clients: imapflow with `qresync: true`, raw commands, and changes
 * made over SMTP, POP3 and REST showing up in a QRESYNC session as MODSEQ, VANISHED and EXISTS.
 */
let sandbox: Sandbox;
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
  await sandbox?.close();
});

async function fullSandbox(limits: { imapBadCommands?: number } = {}): Promise<Sandbox> {
  sandbox = await imapSandbox({ smtp: { port: 0 }, pop3: { port: 0 }, http: { port: 0 }, limits });
  return sandbox;
}

async function qresyncClient(user = 'bob@example.test'): Promise<ImapFlow> {
  const client = new ImapFlow({ host: '127.0.0.1', port: sandbox.ports.imap!, secure: false, auth: { user, pass: 'x' }, logger: false, qresync: true });
  client.on('error', () => {});
  await client.connect();
  cleanups.push(() => client.logout());
  return client;
}

async function raw(user = 'bob@example.test'): Promise<RawImap> {
  const c = await RawImap.connect(sandbox.ports.imap!);
  cleanups.push(() => c.end());
  expect(await c.command('l', `LOGIN ${user} x`)).toMatch(/^l OK/m);
  return c;
}

async function seed(n: number, to = 'bob@example.test'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) ids.push((await sandbox.deliver(eml(`m${i}`), { to })).id);
  return ids;
}

function smtpSend(subject: string, to = 'bob@example.test'): Promise<unknown> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp as number, secure: false, tls: { rejectUnauthorized: false } });
  cleanups.push(() => transport.close());
  return transport.sendMail({ from: 'ann@example.test', to, subject, text: 'hi' });
}

const highestOf = (text: string): number => Number(/HIGHESTMODSEQ (\d+)/.exec(text)?.[1]);

describe('QRESYNC with imapflow', () => {
  it('resyncs after a reconnect: mail delivered over SMTP, deleted and marked seen over REST, is told exactly', async () => {
    await fullSandbox();
    const ids = await seed(4);
    const first = await qresyncClient();
    expect(first.enabled.has('QRESYNC')).toBe(true);
    const box = await first.mailboxOpen('INBOX');
    const { uidValidity, highestModseq } = box;
    expect(highestModseq).toBeGreaterThan(0n);
    await first.logout();
    cleanups.pop();

    // While the client is away: one new message over SMTP, one deleted and one marked seen over REST.
    const arrived = sandbox.waitForMessage({ subject: 'while away' }, { timeout: 10_000 });
    await smtpSend('while away');
    await arrived;
    expect((await fetch(`${sandbox.url}/api/v1/messages/${ids[1]}`, { method: 'DELETE' })).status).toBe(204);
    const patch = await fetch(`${sandbox.url}/api/v1/messages/${ids[2]}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"seen":true}' });
    expect(patch.status).toBe(200);

    const again = await qresyncClient();
    const vanished: Array<{ uid?: number; earlier?: boolean }> = [];
    const flagged: Array<{ uid?: number; flags: Set<string>; modseq?: bigint }> = [];
    again.on('expunge', (e) => vanished.push(e));
    again.on('flags', (e) => flagged.push(e));
    const reopened = await again.mailboxOpen('INBOX', { uidValidity, changedSince: highestModseq } as never);
    expect(reopened.highestModseq).toBeGreaterThan(highestModseq!);
    expect(vanished).toEqual([expect.objectContaining({ uid: 2, vanished: true, earlier: true })]);
    // Changed since: message 3 (now \Seen) and the new message 5; nothing else.
    expect(flagged.map((f) => f.uid).sort()).toEqual([3, 5]);
    expect([...flagged.find((f) => f.uid === 3)!.flags]).toContain('\\Seen');

    // changedSince on a FETCH gives the same answer.
    const changed: number[] = [];
    for await (const m of again.fetch('1:*', { uid: true, flags: true }, { uid: true, changedSince: highestModseq! })) changed.push(m.uid);
    expect(changed).toEqual([3, 5]);
  });

  it('shows a REST flag change, a POP3 DELE+QUIT and an SMTP delivery live in a QRESYNC session', async () => {
    await fullSandbox();
    const ids = await seed(3);
    const client = await qresyncClient();
    await client.mailboxOpen('INBOX');
    const events: string[] = [];
    const seen = new Promise<{ uid?: number; modseq?: bigint; flags: Set<string> }>((resolve) => client.once('flags', resolve));
    const gone = new Promise<{ uid?: number; vanished?: boolean }>((resolve) => client.once('expunge', resolve));
    const exists = new Promise<{ count: number }>((resolve) => client.once('exists', resolve));
    client.on('expunge', () => events.push('expunge'));
    const idling = client.idle();

    await fetch(`${sandbox.url}/api/v1/messages/${ids[0]}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"seen":true}' });
    const f = await seen;
    expect(f.uid).toBe(1);
    expect(f.modseq).toBe(BigInt(sandbox.store.getFolder('bob@example.test', 'INBOX')!.placements[0].modseq));
    expect(f.flags.has('\\Seen')).toBe(true);

    const pop3 = new Pop3Command({ user: 'bob@example.test', password: 'x', host: '127.0.0.1', port: sandbox.ports.pop3 as number });
    await pop3.DELE(2);
    await pop3.QUIT();
    expect(await gone).toEqual(expect.objectContaining({ uid: 2, vanished: true }));

    await smtpSend('live');
    expect((await exists).count).toBe(3);
    await client.noop();
    void idling;
    expect(events).toEqual(['expunge']);
  });
});

describe('CONDSTORE and QRESYNC commands on the wire', () => {
  it('answers SELECT (CONDSTORE), FETCH CHANGEDSINCE, STORE UNCHANGEDSINCE with MODIFIED, SEARCH MODSEQ and STATUS HIGHESTMODSEQ', async () => {
    await fullSandbox();
    await seed(3);
    const c = await raw();
    const sel = await c.command('s', 'SELECT INBOX (CONDSTORE)');
    expect(sel).toMatch(/^\* OK \[HIGHESTMODSEQ \d+\]/m);
    const h0 = highestOf(sel);
    expect(await c.command('f0', `FETCH 1:* (FLAGS) (CHANGEDSINCE ${h0})`)).toBe(`f0 OK FETCH completed\r\n`);

    const stored = await c.command('st', 'STORE 2 +FLAGS (\\Flagged)');
    const m2 = Number(/\* 2 FETCH \(FLAGS \(\\Flagged[^)]*\) MODSEQ \((\d+)\)\)/.exec(stored)?.[1]);
    expect(m2).toBe(h0 + 1);
    expect(await c.command('f1', `FETCH 1:* (UID) (CHANGEDSINCE ${h0})`)).toBe(`* 2 FETCH (UID 2 MODSEQ (${m2}))\r\nf1 OK FETCH completed\r\n`);
    expect(await c.command('q', 'FETCH 2 (MODSEQ)')).toMatch(new RegExp(`^\\* 2 FETCH \\(MODSEQ \\(${m2}\\)\\)`, 'm'));

    // Message 2 changed after h0: a conditional STORE leaves it alone and names it.
    const cond = await c.command('cs', `UID STORE 1:3 (UNCHANGEDSINCE ${h0}) +FLAGS.SILENT (\\Answered)`);
    expect(cond).toMatch(/^\* 1 FETCH \(UID 1 MODSEQ \(\d+\)\)/m);
    expect(cond).toMatch(/^\* 3 FETCH \(UID 3 MODSEQ \(\d+\)\)/m);
    expect(cond).not.toMatch(/^\* 2 FETCH/m);
    expect(cond).toMatch(/^cs OK \[MODIFIED 2\]/m);
    expect(sandbox.store.getFolder('bob@example.test', 'INBOX')!.placements[1].flags.has('\\Answered')).toBe(false);

    expect(await c.command('se', `SEARCH MODSEQ ${m2}`)).toMatch(/^\* SEARCH 1 2 3 \(MODSEQ \d+\)\r\n/m);
    expect(await c.command('se2', 'SEARCH MODSEQ "/flags/\\\\draft" all 999999')).toMatch(/^\* SEARCH\r\n/m);
    const status = await c.command('stt', 'STATUS Trash (HIGHESTMODSEQ MESSAGES)');
    expect(status).toMatch(/^\* STATUS "Trash" \(HIGHESTMODSEQ 1 MESSAGES 0\)/m);
  });

  it('after ENABLE QRESYNC: SELECT (QRESYNC ...) with VANISHED (EARLIER), UID FETCH ... VANISHED, and VANISHED instead of EXPUNGE', async () => {
    await fullSandbox();
    const ids = await seed(5);
    const c = await raw();
    expect(await c.command('e', 'ENABLE QRESYNC')).toMatch(/^\* ENABLED QRESYNC\r\n/m);
    const sel = await c.command('s', 'SELECT INBOX');
    const folder = sandbox.store.getFolder('bob@example.test', 'INBOX')!;
    const h0 = highestOf(sel);
    expect(h0).toBe(folder.highestModseq);
    expect(await c.command('u', 'UNSELECT')).toMatch(/^u OK/m);

    sandbox.store.deleteMessage(ids[1]);
    sandbox.store.deleteMessage(ids[3]);
    sandbox.store.setSeen(ids[4], true);
    const resync = await c.command('s2', `SELECT INBOX (QRESYNC (${folder.uidValidity} ${h0}))`);
    expect(resync).toMatch(/^\* VANISHED \(EARLIER\) 2,4\r\n/m);
    expect(resync).toMatch(/^\* 3 FETCH \(UID 5 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)\r\n/m);
    expect(resync.match(/FETCH/g)).toHaveLength(1);
    // Known UIDs limit the answer to what the client has.
    const known = await c.command('s3', `EXAMINE INBOX (QRESYNC (${folder.uidValidity} ${h0} 1:3 (1:3 1:3)))`);
    expect(known).toMatch(/^\* OK \[CLOSED\]/m);
    expect(known).toMatch(/^\* VANISHED \(EARLIER\) 2\r\n/m);
    expect(known).not.toMatch(/FETCH/);
    // A stale UIDVALIDITY gets a plain SELECT.
    expect(await c.command('s4', `SELECT INBOX (QRESYNC (1 ${h0}))`)).not.toMatch(/VANISHED|FETCH/);

    expect(await c.command('uf', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${h0} VANISHED)`)).toMatch(/^\* VANISHED \(EARLIER\) 2,4\r\n\* 3 FETCH \(UID 5 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)\r\nuf OK/m);

    // Another side's expunge reaches this session as VANISHED, not EXPUNGE.
    sandbox.store.deleteMessage(ids[0]);
    const noop = await c.command('n', 'NOOP');
    expect(noop).toMatch(/^\* VANISHED 1\r\n/m);
    expect(noop).not.toMatch(/EXPUNGE/);
    // So does its own.
    await c.command('d', 'UID STORE 3 +FLAGS.SILENT (\\Deleted)');
    const exp = await c.command('x', 'EXPUNGE');
    expect(exp).toMatch(/^\* VANISHED 3\r\nx OK/m);
  });

  it('answers bad CONDSTORE/QRESYNC input with BAD or NO, and the session goes on', async () => {
    // More BADs than the default limit of 20 on one connection, each of which must leave the session usable.
    await fullSandbox({ imapBadCommands: 100 });
    const ids = await seed(2);
    const c = await raw();
    expect(await c.command('b0', 'SELECT INBOX (QRESYNC (1 1))')).toMatch(/^b0 BAD .*ENABLE QRESYNC/m);
    await c.command('e', 'ENABLE QRESYNC');
    const bads = [
      'SELECT INBOX (QRESYNC)',
      'SELECT INBOX (QRESYNC (1))',
      'SELECT INBOX (QRESYNC (x 1))',
      'SELECT INBOX (QRESYNC (0 1))',
      'SELECT INBOX (QRESYNC (1 0))',
      'SELECT INBOX (QRESYNC (1 1 1:*))',
      'SELECT INBOX (QRESYNC (1 1 1:2 (1:2 1)))',
      'SELECT INBOX (QRESYNC (1 1 1:2 (1:2)))',
      'SELECT INBOX (QRESYNC (1 9223372036854775808))',
      'SELECT INBOX (BOGUS)',
      'SELECT INBOX CONDSTORE',
    ];
    for (const [i, line] of bads.entries()) expect(await c.command(`b${i + 1}`, line)).toMatch(new RegExp(`^b${i + 1} BAD `, 'm'));
    await c.command('s', 'SELECT INBOX');
    const more = [
      'FETCH 1:* (FLAGS) (CHANGEDSINCE 0)',
      'FETCH 1:* (FLAGS) (CHANGEDSINCE 9223372036854775808)',
      'FETCH 1:* (FLAGS) (CHANGEDSINCE 99999999999999999999999)',
      'FETCH 1:* (FLAGS) (CHANGEDSINCE)',
      'FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)',
      'UID FETCH 1:* (FLAGS) (VANISHED)',
      'FETCH 1:* (FLAGS) ()',
      'STORE 1 (UNCHANGEDSINCE -1) +FLAGS (\\Seen)',
      'STORE 1 (UNCHANGEDSINCE 9223372036854775808) +FLAGS (\\Seen)',
      'STORE 1 (CHANGEDSINCE 1) +FLAGS (\\Seen)',
      'SEARCH MODSEQ',
      'SEARCH MODSEQ "/flags/\\\\seen" bogus 1',
    ];
    for (const [i, line] of more.entries()) expect(await c.command(`c${i}`, line)).toMatch(new RegExp(`^c${i} BAD `, 'm'));
    // The largest value is fine, and 0 is fine where the grammar allows it.
    expect(await c.command('ok1', 'FETCH 1:* (FLAGS) (CHANGEDSINCE 9223372036854775807)')).toBe('ok1 OK FETCH completed\r\n');
    expect(await c.command('ok2', 'STORE 1 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)')).toMatch(/^ok2 OK \[MODIFIED 1\]/m);

    // UNCHANGEDSINCE on a message another side expunged (not yet announced): NO, the other one is stored.
    sandbox.store.deleteMessage(ids[0]);
    const gone = await c.command('g', 'STORE 1:2 (UNCHANGEDSINCE 9223372036854775807) +FLAGS (\\Flagged)');
    expect(gone).toMatch(/^g NO \[EXPUNGEISSUED\]/m);
    expect(sandbox.store.getFolder('bob@example.test', 'INBOX')!.placements[0].flags.has('\\Flagged')).toBe(true);
    // Once announced (VANISHED), its UID simply matches nothing.
    expect(await c.command('n', 'NOOP')).toMatch(/^\* VANISHED 1\r\n/m);
    expect(await c.command('g2', 'UID STORE 1 (UNCHANGEDSINCE 9223372036854775807) +FLAGS (\\Flagged)')).toBe('g2 OK UID STORE completed\r\n');
    expect(await c.command('alive', 'NOOP')).toMatch(/^alive OK/m);
  });
});
