import { afterEach, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';
import type { Sandbox } from '../../src/index.js';
import { RawImap } from './imap-raw-client.js';
import { eml, fetchOne, imapSandbox, imapflowClient, nextStoreEvent, once } from './imap-helpers.js';

let sandbox: Sandbox;
const clients: ImapFlow[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.logout()));
  await sandbox?.close();
});

async function client(user?: string): Promise<ImapFlow> {
  const c = await imapflowClient(sandbox, user);
  clients.push(c);
  return c;
}

async function seeded(...subjects: string[]): Promise<Sandbox> {
  sandbox = await imapSandbox();
  for (const s of subjects) await sandbox.deliver(eml(s, `Body of ${s}`), { to: 'bob@example.test' });
  return sandbox;
}

describe('IMAP with imapflow: folders', () => {
  it('lists the default folders with their SPECIAL-USE attributes', async () => {
    await seeded();
    const c = await client();
    const list = await c.list();
    const byPath = Object.fromEntries(list.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual(['Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
    expect(byPath.Sent.specialUse).toBe('\\Sent');
    expect(byPath.Trash.specialUse).toBe('\\Trash');
    expect(byPath.INBOX.flags.has('\\HasNoChildren')).toBe(true);
  });

  it('reports STATUS counts for a folder', async () => {
    await seeded('one', 'two', 'three');
    const [first] = sandbox.store.getFolder('bob@example.test', 'INBOX')!.placements;
    sandbox.store.setFlags([first], ['\\Seen'], 'add');
    const c = await client();
    const status = await c.status('INBOX', { messages: true, unseen: true, uidNext: true, uidValidity: true, recent: true });
    if (!status) throw new Error('no status');
    // imapflow enables IMAP4rev2 with us, which has no RECENT (RFC 9051 Appendix E): it reports 0 without asking.
    expect(status).toMatchObject({ messages: 3, unseen: 2, uidNext: 4, recent: 0 });
    expect(Number(status.uidValidity)).toBe(sandbox.store.getFolder('bob@example.test', 'INBOX')!.uidValidity);
  });

  it('creates, renames and deletes folders, with modified UTF-7 names decoded in the store', async () => {
    await seeded();
    const c = await client();
    await c.mailboxCreate('Projects/Entwürfe');
    expect(sandbox.store.getFolder('bob@example.test', 'Projects/Entwürfe')).toBeDefined();
    const list = await c.list();
    const projects = list.find((f) => f.path === 'Projects')!;
    expect(projects.flags.has('\\HasChildren')).toBe(true);
    expect(list.some((f) => f.path === 'Projects/Entwürfe')).toBe(true);
    await c.mailboxRename('Projects', 'Archive');
    expect(sandbox.store.getFolder('bob@example.test', 'Archive/Entwürfe')).toBeDefined();
    await c.mailboxDelete('Archive/Entwürfe');
    expect(sandbox.store.getFolder('bob@example.test', 'Archive/Entwürfe')).toBeUndefined();
  });

  it('subscribes and unsubscribes folders', async () => {
    await seeded();
    const c = await client();
    await c.mailboxCreate('Lists');
    await c.mailboxUnsubscribe('Lists');
    expect(sandbox.store.getFolder('bob@example.test', 'Lists')!.subscribed).toBe(false);
    await c.mailboxSubscribe('Lists');
    expect(sandbox.store.getFolder('bob@example.test', 'Lists')!.subscribed).toBe(true);
  });
});

describe('IMAP with imapflow: messages', () => {
  it('fetches envelopes, flags, UIDs and byte-exact sources', async () => {
    await seeded('alpha', 'beta');
    const c = await client();
    await c.mailboxOpen('INBOX');
    const messages = [];
    for await (const m of c.fetch('1:*', { envelope: true, flags: true, uid: true, source: true, internalDate: true, size: true })) messages.push(m);
    expect(messages.map((m) => m.envelope?.subject)).toEqual(['alpha', 'beta']);
    expect(messages.map((m) => m.uid)).toEqual([1, 2]);
    expect(messages[0].envelope?.from?.[0]).toEqual({ name: 'Ann Example', address: 'ann@example.test' });
    const stored = sandbox.store.getFolder('bob@example.test', 'INBOX')!.placements[0].message;
    expect(messages[0].source?.equals(stored.raw)).toBe(true);
    expect(messages[0].size).toBe(stored.size);
    // BODY.PEEK[] (imapflow's default) must not mark the message read.
    expect(sandbox.store.isSeen(stored)).toBe(false);
  });

  it('fetches body parts and header fields', async () => {
    await seeded('parts');
    const c = await client();
    await c.mailboxOpen('INBOX');
    const m = await fetchOne(c, '1', { bodyParts: ['1', 'TEXT'], headers: ['subject', 'from'] });
    expect(m.bodyParts?.get('1')?.toString()).toBe('Body of parts\r\n');
    // Fields come in message order, whatever order they were asked in (RFC 3501 §6.4.5).
    expect(m.headers?.toString()).toBe('From: Ann Example <ann@example.test>\r\nSubject: parts\r\n\r\n');
  });

  it('marks a message read in the API when a client stores \\Seen, and back', async () => {
    await seeded('flag me');
    const c = await client();
    await c.mailboxOpen('INBOX');
    await c.messageFlagsAdd('1', ['\\Seen', '$Label1']);
    const [summary] = sandbox.messages();
    expect(summary.seen).toBe(true);
    const p = sandbox.store.getFolder('bob@example.test', 'INBOX')!.placements[0];
    expect([...p.flags].sort()).toEqual(['$Label1', '\\Seen']);
    await c.messageFlagsRemove('1', ['\\Seen']);
    expect(sandbox.messages()[0].seen).toBe(false);
    await c.messageFlagsSet('1', ['\\Flagged']);
    expect([...p.flags]).toEqual(['\\Flagged']);
  });

  it('copies and moves messages with COPYUID, and expunges the moved one from the source', async () => {
    await seeded('one', 'two', 'three');
    const c = await client();
    await c.mailboxOpen('INBOX');
    const copied = await c.messageCopy('1', 'Sent');
    expect(copied).toMatchObject({ destination: 'Sent' });
    expect(copied && copied.uidMap?.get(1)).toBe(1);
    const expunged: number[] = [];
    c.on('expunge', (e: { seq: number }) => expunged.push(e.seq));
    const moved = await c.messageMove('2:3', 'Trash');
    expect(moved && [...moved.uidMap!.entries()]).toEqual([
      [2, 1],
      [3, 2],
    ]);
    expect(expunged).toHaveLength(2);
    const folder = (name: string) => sandbox.store.getFolder('bob@example.test', name)!;
    expect(folder('INBOX').placements.map((p) => p.uid)).toEqual([1]);
    expect(folder('Trash').placements).toHaveLength(2);
    expect(folder('Sent').placements).toHaveLength(1);
    expect(c.mailbox && c.mailbox.exists).toBe(1);
  });

  it('appends a message visible through the API and the event feed, with APPENDUID', async () => {
    await seeded();
    const added = nextStoreEvent(sandbox.store, 'message.added');
    const c = await client();
    const raw = eml('appended', 'Draft body');
    const result = await c.append('Drafts', raw, ['\\Draft', '\\Seen'], new Date('2024-03-04T05:06:07Z'));
    expect(result).toMatchObject({ destination: 'Drafts', uid: 1 });
    const message = (await added) as { source: string; raw: Buffer };
    expect(message.source).toBe('imap');
    expect(message.raw.toString()).toBe(raw);
    const p = sandbox.store.getFolder('bob@example.test', 'Drafts')!.placements[0];
    expect(p.internalDate.toISOString()).toBe('2024-03-04T05:06:07.000Z');
    expect([...p.flags].sort()).toEqual(['\\Draft', '\\Seen']);
    expect(sandbox.messages({ query: 'subject:appended' })).toHaveLength(1);
  });

  it('refuses APPEND to a missing folder with TRYCREATE', async () => {
    await seeded();
    const c = await client();
    await expect(c.append('Nowhere', eml('x'))).rejects.toMatchObject({ serverResponseCode: 'TRYCREATE' });
  });

  it('searches by header, body, flags and combinations', async () => {
    await seeded('Invoice March', 'Meeting notes', 'Invoice April');
    const inbox = sandbox.store.getFolder('bob@example.test', 'INBOX')!;
    sandbox.store.setFlags([inbox.placements[1]], ['\\Seen'], 'add');
    const c = await client();
    await c.mailboxOpen('INBOX');
    expect(await c.search({ subject: 'invoice' })).toEqual([1, 3]);
    expect(await c.search({ body: 'of meeting' })).toEqual([2]);
    expect(await c.search({ seen: false })).toEqual([1, 3]);
    expect(await c.search({ or: [{ subject: 'april' }, { seen: true }] })).toEqual([2, 3]);
    expect(await c.search({ from: 'ann@example.test', not: { subject: 'march' } })).toEqual([2, 3]);
    expect(await c.search({ uid: '2:*' }, { uid: true })).toEqual([2, 3]);
    expect(await c.search({ since: new Date('2000-01-01') })).toEqual([1, 2, 3]);
    expect(await c.search({ larger: 10_000 })).toEqual([]);
  });

  it('deletes with \\Deleted and EXPUNGE, removing the placement from the store', async () => {
    await seeded('keep', 'drop');
    const c = await client();
    await c.mailboxOpen('INBOX');
    await c.messageDelete('2');
    expect(sandbox.store.getFolder('bob@example.test', 'INBOX')!.placements).toHaveLength(1);
    expect(sandbox.messages().map((m) => m.subject)).toEqual(['keep']);
  });
});

describe('IMAP live updates', () => {
  it('pushes EXISTS during IDLE when a message is delivered', async () => {
    await seeded('first');
    const c = await client();
    await c.mailboxOpen('INBOX');
    const exists = once<{ count: number }>(c, 'exists');
    void c.idle();
    await sandbox.deliver(eml('second'), { to: 'bob@example.test' });
    expect((await exists).count).toBe(2);
  });

  it('pushes EXISTS during IDLE when a real SMTP client delivers, and fetches what was sent', async () => {
    sandbox = await imapSandbox({ smtp: { port: 0 } });
    const c = await client('carol@example.test');
    await c.mailboxOpen('INBOX');
    const exists = once<{ count: number }>(c, 'exists');
    void c.idle();
    const transport = createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'ann@example.test', to: 'carol@example.test', subject: 'over smtp', text: 'sent with nodemailer' });
    transport.close();
    expect((await exists).count).toBe(1);
    const m = await fetchOne(c, '1', { envelope: true, source: true });
    expect(m.envelope?.subject).toBe('over smtp');
    expect(m.source?.toString()).toContain('sent with nodemailer');
  });

  it('pushes EXPUNGE during IDLE when the API deletes a message', async () => {
    await seeded('first', 'second');
    const c = await client();
    await c.mailboxOpen('INBOX');
    const expunge = once<{ seq: number }>(c, 'expunge');
    void c.idle();
    const id = sandbox.messages({ query: 'subject:second' })[0].id;
    sandbox.store.deleteMessage(id);
    expect((await expunge).seq).toBe(2);
  });

  it('shows two clients on one folder each other\'s new mail, flags and expunges', async () => {
    await seeded('shared');
    const a = await client();
    const b = await client();
    await a.mailboxOpen('INBOX');
    await b.mailboxOpen('INBOX');
    const flags = once<{ seq: number; flags: Set<string> }>(b, 'flags');
    void b.idle();
    await a.messageFlagsAdd('1', ['\\Flagged']);
    const f = await flags;
    expect(f.seq).toBe(1);
    expect(f.flags.has('\\Flagged')).toBe(true);
    const exists = once<{ count: number }>(b, 'exists');
    await a.append('INBOX', eml('from a'));
    expect((await exists).count).toBe(2);
    const expunge = once<{ seq: number }>(b, 'expunge');
    await a.messageDelete('1');
    expect((await expunge).seq).toBe(1);
  });

  it('marks a message seen when fetched without PEEK, with FLAGS in the response, and the API sees it at once', async () => {
    await seeded('read me');
    const c = await RawImap.connect(sandbox.ports.imap!);
    await c.command('L', 'LOGIN bob@example.test x');
    await c.command('S', 'SELECT INBOX');
    const peek = await c.command('P', 'FETCH 1 BODY.PEEK[TEXT]');
    expect(peek).not.toContain('FLAGS');
    expect(sandbox.messages()[0].seen).toBe(false);
    const reply = await c.command('F', 'FETCH 1 BODY[TEXT]');
    expect(reply).toMatch(/^\* 1 FETCH \(BODY\[TEXT\] \{17\}\r\nBody of read me\r\n FLAGS \(\\Seen \\Recent\)\)\r\n/m);
    expect(sandbox.messages()[0].seen).toBe(true);
    c.end();
  });
});

describe('IMAP sessions and TLS', () => {
  it('records the session with the user and without the password', async () => {
    await seeded('x');
    const c = await client();
    await c.mailboxOpen('INBOX');
    await fetchOne(c, '1', { source: true });
    const session = sandbox.context.sessions.list('imap')[0];
    expect(session.user).toBe('bob@example.test');
    const text = session.lines.map((l) => l.line).join('\n');
    expect(text).not.toContain('secret');
    expect(text).not.toContain(Buffer.from('\0bob@example.test\0secret').toString('base64'));
    expect(text).toMatch(/BODY\[\] \{\d+ bytes\}/);
    expect(text).not.toContain('Body of x');
  });

  it('works over implicit TLS (IMAPS)', async () => {
    sandbox = await imapSandbox({ imaps: { port: 0 } });
    await sandbox.deliver(eml('secure'), { to: 'bob@example.test' });
    const c = await imapflowClient(sandbox, 'bob@example.test', { secure: true });
    clients.push(c);
    await c.mailboxOpen('INBOX');
    const m = await fetchOne(c, '1', { envelope: true });
    expect(m.envelope?.subject).toBe('secure');
    expect(sandbox.context.sessions.list('imap')[0].tls).toBe(true);
  });

  it('rejects a wrong password when users are configured', async () => {
    sandbox = await imapSandbox({ users: { 'bob@example.test': 'right' } });
    await expect(imapflowClient(sandbox)).rejects.toThrow();
  });
});
