import { afterEach, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import type { Sandbox } from '../../src/index.js';
import { eml, imapflowClient, imapSandbox } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/**
 * LSUB of folders whose superior is not subscribed, and what may follow LOGOUT's BYE, over raw connections and imapflow.
 * (The SENT* search keys found in the same reader's pass are in imap-search.test.ts.)
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
    expect(await c.command('S', 'SUBSCRIBE Projects/Alpha/Docs')).toMatch(/^S OK/m);

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
