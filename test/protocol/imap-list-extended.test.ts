import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { eml, imapSandbox, untaggedOk } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';

/** LIST-EXTENDED / LIST-STATUS syntax (RFC 5258, 5819), STATUS=SIZE (RFC 8438) and CREATE-SPECIAL-USE (RFC 6154). */
const user = 'lister@example.test';
let sandbox: Sandbox;
let c: RawImap;

beforeAll(async () => {
  sandbox = await imapSandbox();
  await sandbox.deliver(eml('one', 'a'.repeat(100)), { to: user });
  await sandbox.deliver(eml('two', 'b'.repeat(200)), { to: user });
  c = await RawImap.connect(sandbox.ports.imap!);
  await c.command('L', `LOGIN ${user} x`);
  for (const line of ['CREATE Work/Alpha', 'CREATE Work/Beta', 'CREATE Play', 'SUBSCRIBE Work/Alpha', 'SUBSCRIBE Work/Beta']) {
    expect(await c.command('P', line)).toMatch(/^P OK/m);
  }
});

afterAll(async () => {
  c?.end();
  await sandbox?.close();
});

const run = (line: string) => untaggedOk(c, line);

describe('STATUS=SIZE and CREATE-SPECIAL-USE', () => {
  it('advertises both', async () => {
    const [caps] = await run('CAPABILITY');
    expect(caps.split(' ')).toEqual(expect.arrayContaining(['STATUS=SIZE', 'CREATE-SPECIAL-USE', 'LIST-EXTENDED', 'LIST-STATUS']));
  });

  it('answers STATUS SIZE with the total octets of the folder', async () => {
    const size = sandbox.store.getFolder(user, 'INBOX')!.placements.reduce((n, p) => n + p.message.raw.length, 0);
    expect(size).toBeGreaterThan(300);
    expect(await run('STATUS INBOX (MESSAGES SIZE)')).toEqual([`* STATUS "INBOX" (MESSAGES 2 SIZE ${size})`]);
    expect(await run('STATUS Play (SIZE)')).toEqual(['* STATUS "Play" (SIZE 0)']);
  });

  it('creates a folder with a special use that LIST then shows', async () => {
    await run('CREATE Archive2024 (USE (\\Archive))');
    expect(await run('LIST "" Archive2024')).toEqual(['* LIST (\\HasNoChildren \\Archive) "/" "Archive2024"']);
    expect(sandbox.store.getFolder(user, 'Archive2024')!.specialUse).toBe('\\Archive');
  });

  it('refuses an unknown or second use attribute with NO [USEATTR] and an unknown parameter with BAD', async () => {
    expect(await c.command('B1', 'CREATE X1 (USE (\\Important))')).toMatch(/^B1 NO \[USEATTR\]/m);
    expect(await c.command('B2', 'CREATE X2 (USE (\\Drafts \\Sent))')).toMatch(/^B2 NO \[USEATTR\]/m);
    expect(await c.command('B3', 'CREATE X3 (COLOR red)')).toMatch(/^B3 BAD/m);
    expect(await c.command('B4', 'CREATE X4 USE')).toMatch(/^B4 BAD/m);
    expect(sandbox.store.getMailbox(user)!.folders.has('X1')).toBe(false);
  });
});

describe('LIST-EXTENDED syntax (RFC 5258) and LIST-STATUS (RFC 5819)', () => {
  it('takes several patterns and RETURN (SUBSCRIBED CHILDREN)', async () => {
    expect(await run('LIST "" ("Work/*" Play) RETURN (SUBSCRIBED CHILDREN)')).toEqual([
      '* LIST (\\HasNoChildren) "/" "Play"',
      '* LIST (\\HasNoChildren \\Subscribed) "/" "Work/Alpha"',
      '* LIST (\\HasNoChildren \\Subscribed) "/" "Work/Beta"',
    ]);
  });

  it('selects SUBSCRIBED folders, and with RECURSIVEMATCH their parents with CHILDINFO', async () => {
    expect(await run('LIST (SUBSCRIBED) "" "W%"')).toEqual([]);
    expect(await run('LIST (SUBSCRIBED RECURSIVEMATCH) "" "W%"')).toEqual(['* LIST (\\HasChildren) "/" "Work" ("CHILDINFO" ("SUBSCRIBED"))']);
  });

  it('selects SPECIAL-USE folders', async () => {
    expect(await run('LIST (SPECIAL-USE) "" "*"')).toEqual([
      '* LIST (\\HasNoChildren \\Archive) "/" "Archive2024"',
      '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
      '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
      '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
      '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
    ]);
  });

  it('follows each selectable folder with its STATUS', async () => {
    expect(await run('LIST "" ("INBOX" "Work" "Work/%") RETURN (STATUS (MESSAGES UNSEEN))')).toEqual([
      '* LIST (\\HasNoChildren) "/" "INBOX"',
      '* STATUS "INBOX" (MESSAGES 2 UNSEEN 2)',
      '* LIST (\\HasChildren) "/" "Work"',
      '* STATUS "Work" (MESSAGES 0 UNSEEN 0)',
      '* LIST (\\HasNoChildren) "/" "Work/Alpha"',
      '* STATUS "Work/Alpha" (MESSAGES 0 UNSEEN 0)',
      '* LIST (\\HasNoChildren) "/" "Work/Beta"',
      '* STATUS "Work/Beta" (MESSAGES 0 UNSEEN 0)',
    ]);
  });

  it.each([
    ['LIST (RECURSIVEMATCH) "" "*"', /BAD RECURSIVEMATCH needs/],
    ['LIST (BOGUS) "" "*"', /BAD Unknown LIST selection option BOGUS/],
    ['LIST "" "*" RETURN (BOGUS)', /BAD Unknown LIST return option BOGUS/],
    ['LIST "" "*" RETURN (STATUS (BOGUS))', /NO Unknown status item BOGUS/],
    ['LIST "" "*" RETURN', /BAD/],
    ['LIST "" ()', /BAD Empty pattern list/],
  ])('%s -> %s', async (line, answer) => {
    expect(await c.command('B', line)).toMatch(new RegExp(`^B ${answer.source}`, 'm'));
  });

  it('keeps a plain LIST as before', async () => {
    expect(await run('LIST "" "Work/%"')).toEqual(['* LIST (\\HasNoChildren) "/" "Work/Alpha"', '* LIST (\\HasNoChildren) "/" "Work/Beta"']);
    expect(await run('LIST "" ""')).toEqual(['* LIST (\\Noselect) "/" ""']);
  });
});
