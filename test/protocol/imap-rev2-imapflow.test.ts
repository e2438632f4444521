import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import type { Sandbox } from '../../src/index.js';
import { eml, fetchOne, imapSandbox } from './imap-helpers.js';

/**
 * imapflow (2.x) sends `ENABLE IMAP4rev2` by itself when the server advertises it next to IMAP4rev1, and from then on
 * reads ESEARCH for SEARCH, UTF-8 mailbox names and LIST-EXTENDED as base protocol: this is what most imapflow apps
 * talking to the sandbox now exercise. One session with rev2 and, where they differ, one with `disableIMAP4rev2`.
 */
const user = 'flow-rev2@example.test';
let sandbox: Sandbox;
const clients: ImapFlow[] = [];

async function client(options: { disableIMAP4rev2?: boolean } = {}): Promise<ImapFlow> {
  const c = new ImapFlow({ host: '127.0.0.1', port: sandbox.ports.imap!, secure: false, auth: { user, pass: 'x' }, logger: false, ...options });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
}

function deliver(subject: string, flags: string[] = []): void {
  sandbox.store.deliver({ raw: Buffer.from(eml(subject)), envelope: { mailFrom: '', rcptTo: [user] }, source: 'api', targets: [{ mailbox: user, flags }] });
}

beforeAll(async () => {
  sandbox = await imapSandbox();
  deliver('alpha');
  deliver('beta', ['\\Flagged']);
  deliver('gamma');
});

afterAll(async () => {
  for (const c of clients) await c.logout().catch(() => {});
  await sandbox?.close();
});

describe('imapflow in IMAP4rev2 mode', () => {
  it('enables IMAP4rev2 (with CONDSTORE) after login', async () => {
    const c = await client();
    expect(c.capabilities.has('IMAP4rev2')).toBe(true);
    expect([...c.enabled]).toEqual(expect.arrayContaining(['IMAP4REV2', 'CONDSTORE']));
  });

  it('searches through the ESEARCH answers of plain SEARCH and UID SEARCH', async () => {
    const c = await client();
    await c.mailboxOpen('INBOX');
    expect(await c.search({ flagged: true })).toEqual([2]);
    expect(await c.search({ flagged: false }, { uid: true })).toEqual([1, 3]);
    expect(await c.search({ subject: 'no-such-subject' })).toEqual([]);
  });

  it('sees no \\Recent on new mail, where a rev1 imapflow session does', async () => {
    const rev1 = await client({ disableIMAP4rev2: true });
    expect(rev1.enabled.has('IMAP4REV2')).toBe(false);
    const c = await client();
    await c.mailboxOpen('INBOX');
    const m = await fetchOne(c, '1', { flags: true });
    expect([...(m.flags ?? [])]).not.toContain('\\Recent');
    await rev1.mailboxOpen('INBOX');
    const r = await fetchOne(rev1, '1', { flags: true });
    expect([...(r.flags ?? [])]).toContain('\\Recent');
  });

  it('creates, lists and selects a folder by its UTF-8 name, stored as that name', async () => {
    const c = await client();
    await c.mailboxCreate('Projekte/Entwürfe');
    expect(sandbox.store.getFolder(user, 'Projekte/Entwürfe')).toBeDefined();
    const list = await c.list();
    expect(list.map((f) => f.path)).toEqual(expect.arrayContaining(['Projekte', 'Projekte/Entwürfe']));
    const box = await c.mailboxOpen('Projekte/Entwürfe');
    expect(box.path).toBe('Projekte/Entwürfe');
    // The same folder read by an IMAP4rev1 client, whose names travel in modified UTF-7 and are decoded by imapflow.
    const rev1 = await client({ disableIMAP4rev2: true });
    expect((await rev1.list()).map((f) => f.path)).toContain('Projekte/Entwürfe');
  });

  it('moves a message to a UTF-8 named folder and reads STATUS with SIZE there', async () => {
    const c = await client();
    await c.mailboxCreate('Ablage ✓');
    await c.mailboxOpen('INBOX');
    const moved = await c.messageMove('3', 'Ablage ✓');
    expect(moved && moved.uidMap?.size).toBe(1);
    const status = await c.status('Ablage ✓', { messages: true, size: true } as never);
    expect(status).toMatchObject({ messages: 1 });
    expect(sandbox.store.getFolder(user, 'Ablage ✓')!.placements).toHaveLength(1);
  });
});
