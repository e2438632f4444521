import { afterEach, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import type { Sandbox } from '../../src/index.js';
import { eml, imapflowClient, imapSandbox } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * Conformance found missing while driving the server as a mail reader would (QA pass): LSUB superiors,
 * what may follow LOGOUT's BYE, and the day a SENT* search key compares.
 */
let sandbox: Sandbox;
const clients: RawImap[] = [];
let flow: ImapFlow | undefined;

afterEach(async () => {
  for (const c of clients.splice(0)) c.end();
  await flow?.logout().catch(() => {});
  flow = undefined;
  await sandbox?.close();
});

async function loggedIn(user: string): Promise<RawImap> {
  const c = await RawImap.connect(sandbox.ports.imap!);
  clients.push(c);
  expect(await c.command('L', `LOGIN ${user} x`)).toMatch(/^L OK/m);
  return c;
}

/** The untagged lines of a reply, without the tagged completion. */
function untagged(reply: string): string[] {
  return reply.split('\r\n').filter((l) => l.startsWith('* '));
}

describe('IMAP LSUB with an unsubscribed superior', () => {
  it('leaves the unsubscribed parent of a subscribed folder out of LSUB "*" and shows it \\Noselect for "%"', async () => {
    sandbox = await imapSandbox();
    const c = await loggedIn('lsub@example.test');
    await c.command('C', 'CREATE Projects/Alpha/Docs');
    await c.command('U1', 'UNSUBSCRIBE Projects');
    await c.command('U2', 'UNSUBSCRIBE Projects/Alpha');

    const all = untagged(await c.command('A', 'LSUB "" "Projects*"'));
    expect(all).toEqual(['* LSUB (\\HasNoChildren) "/" "Projects/Alpha/Docs"']);
    const top = untagged(await c.command('B', 'LSUB "" "Proj%"'));
    expect(top).toEqual(['* LSUB (\\Noselect \\HasChildren) "/" "Projects"']);
    const middle = untagged(await c.command('D', 'LSUB "Projects/" "%"'));
    expect(middle).toEqual(['* LSUB (\\Noselect \\HasChildren) "/" "Projects/Alpha"']);
  });

  it('lets imapflow list an unsubscribed parent as selectable and unsubscribed', async () => {
    sandbox = await imapSandbox();
    flow = await imapflowClient(sandbox, 'flow@example.test');
    await flow.mailboxCreate('Projects/Alpha');
    await flow.mailboxUnsubscribe('Projects');

    const listed = (await flow.list()).filter((f) => f.path.startsWith('Projects'));
    expect(listed.map((f) => [f.path, Boolean(f.subscribed), f.flags.has('\\Noselect')])).toEqual([
      ['Projects', false, false],
      ['Projects/Alpha', true, false],
    ]);
  });
});

describe('IMAP LOGOUT with updates queued', () => {
  it('sends the EXPUNGE another protocol caused before the BYE, and only the tagged OK after it', async () => {
    sandbox = await imapSandbox();
    const first = await sandbox.deliver(eml('one'), { to: 'out@example.test' });
    await sandbox.deliver(eml('two'), { to: 'out@example.test' });
    const c = await loggedIn('out@example.test');
    await c.command('S', 'SELECT INBOX');
    sandbox.store.deleteMessage(first.id);
    await sandbox.deliver(eml('three'), { to: 'out@example.test' });

    const reply = await c.command('Z', 'LOGOUT');
    const lines = reply.split('\r\n').filter(Boolean);
    expect(lines).toEqual(['* 1 EXPUNGE', '* 2 EXISTS', '* 2 RECENT', '* BYE mailsandbox logging out', 'Z OK LOGOUT completed']);
    await c.closed;
    expect(c.all.slice(c.all.indexOf('Z OK'))).toBe('Z OK LOGOUT completed\r\n');
  });
});

describe('IMAP SENT* search keys', () => {
  it('compares the day written in the Date header, disregarding its timezone', async () => {
    sandbox = await imapSandbox();
    const user = 'sent@example.test';
    // In UTC these are 2 January 04:30 and 1 January 22:30: the reverse of the days a reader shows.
    await sandbox.deliver(eml('late evening', 'x').replace(/^Date: .*$/m, 'Date: Mon, 01 Jan 2024 23:30:00 -0500'), { to: user });
    await sandbox.deliver(eml('small hours', 'x').replace(/^Date: .*$/m, 'Date: Tue, 2 Jan 24 00:30:00 +0200'), { to: user });
    await sandbox.deliver(eml('obsolete zone', 'x').replace(/^Date: .*$/m, 'Date: 03 January 2024 23:59 PST'), { to: user });
    const c = await loggedIn(user);
    await c.command('S', 'SELECT INBOX');
    const search = async (criteria: string): Promise<string> => untagged(await c.command('Q', `SEARCH ${criteria}`)).join('');

    expect(await search('SENTON 1-Jan-2024')).toBe('* SEARCH 1');
    expect(await search('SENTON 2-Jan-2024')).toBe('* SEARCH 2');
    expect(await search('SENTON 3-Jan-2024')).toBe('* SEARCH 3');
    expect(await search('SENTBEFORE 2-Jan-2024')).toBe('* SEARCH 1');
    expect(await search('SENTSINCE 2-Jan-2024')).toBe('* SEARCH 2 3');
  });
});
