import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import pg from 'pg';
import type { ImapFlow } from 'imapflow';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { ConfigError } from '../../src/config.js';
import { eml, imapflowClient, once } from '../protocol/imap-helpers.js';
import { rawConnect } from '../protocol/pop3-helpers.js';
import { postgresMissing, startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';
import { migrations } from '../../src/store/postgres/migrations.js';

/**
 * Several sandbox nodes on one PostgreSQL behave as one sandbox (issue #13): three nodes in this process, each with
 * its own listeners, sharing a tenant's change log; every check goes through the real protocols (nodemailer SMTP,
 * imapflow IMAP, raw POP3, the library's waitForMessage).
 */
describe.skipIf(postgresMissing)(`several nodes on one PostgreSQL${postgresMissing ? ` (skipped: ${postgresMissing})` : ''}`, () => {
  let cluster: PostgresCluster;
  let url = '';
  let n = 0;
  const nodes: Sandbox[] = [];
  const clients: ImapFlow[] = [];

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    url = await cluster.createDatabase('nodes');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.logout().catch(() => c.close())));
    await Promise.all(nodes.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  async function node(tenant: string, databaseUrl = url): Promise<Sandbox> {
    const s = await createSandbox({ databaseUrl, tenant, smtps: { port: false }, pop3s: { port: false }, imaps: { port: false }, submission: { port: false }, logLevel: 'silent' });
    nodes.push(s);
    return s;
  }
  const cluster3 = (tenant: string) => Promise.all([node(tenant), node(tenant), node(tenant)]);
  const tenant = () => `t${++n}`;

  async function imap(s: Sandbox, user = 'bob@example.test'): Promise<ImapFlow> {
    const c = await imapflowClient(s, user);
    clients.push(c);
    return c;
  }

  function smtpSend(s: Sandbox, subject: string, to = 'bob@example.test') {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.ports.smtp!, secure: false, ignoreTLS: true });
    return transport.sendMail({ from: 'ann@example.test', to, subject, text: `Hello ${subject}` }).finally(() => transport.close());
  }

  it('refuses to start when the database cannot be reached, naming it without its password', async () => {
    const closed = new URL(cluster.urlFor('nodes'));
    closed.port = String(await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    }));
    closed.password = 'hunter2';
    const err = await createSandbox({ databaseUrl: closed.toString(), logLevel: 'silent' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`database postgres://postgres:***@127.0.0.1:${closed.port}/nodes`);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('three nodes started at once on an empty database migrate it once and then act as one sandbox', async () => {
    const fresh = await cluster.createDatabase('empty_at_start');
    const t = tenant();
    const [a, b, c] = await Promise.all([node(t, fresh), node(t, fresh), node(t, fresh)]);
    const db = new pg.Client({ connectionString: fresh });
    await db.connect();
    const { rows } = await db.query('SELECT version FROM mailsandbox_schema ORDER BY version');
    await db.end();
    // Each version applied exactly once (not once per node).
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    const sent = await smtpSend(a, 'after migration');
    expect(sent.response).toMatch(/^250 /);
    const [onB, onC] = await Promise.all([b.waitForMessage({ subject: 'after migration' }, { timeout: 5000, since: 'start' }), c.waitForMessage({ subject: 'after migration' }, { timeout: 5000, since: 'start' })]);
    expect(onB.id).toBe(onC.id);
    expect(a.messages().map((m) => m.id)).toEqual([onB.id]);
  });

  it('serves mail accepted by one node through every node: API, POP3 and IMAP', async () => {
    const [a, b, c] = await cluster3(tenant());
    await smtpSend(a, 'cross node');
    // The 250 came after the commit: the other nodes may not have applied it yet, but waitForMessage sees it arrive.
    const onB = await b.waitForMessage({ subject: 'cross node' }, { timeout: 5000, since: 'start' });
    expect(onB.text).toContain('Hello cross node');
    await c.waitForMessage({ subject: 'cross node' }, { timeout: 5000, since: 'start' });
    const { client } = await rawConnect(c.ports.pop3!);
    client.sendLine('USER bob@example.test');
    expect(await client.readLine()).toMatch(/^\+OK/);
    client.sendLine('PASS x');
    expect(await client.readLine()).toMatch(/^\+OK .* has 1 messages/);
    client.sendLine('QUIT');
    expect(await client.readLine()).toMatch(/^\+OK/);
    const imapB = await imap(b);
    const lock = await imapB.getMailboxLock('INBOX');
    try {
      const m = await imapB.fetchOne('1', { envelope: true, source: true });
      expect(m && m.envelope?.subject).toBe('cross node');
    } finally {
      lock.release();
    }
  });

  it('an IMAP IDLE on one node hears EXISTS for mail accepted by another', async () => {
    const [a, b] = await cluster3(tenant());
    await a.deliver(eml('first'), { to: 'bob@example.test' });
    await b.waitForMessage({ subject: 'first' }, { timeout: 5000, since: 'start' });
    const idler = await imap(b);
    await idler.mailboxOpen('INBOX');
    expect(idler.mailbox && idler.mailbox.exists).toBe(1);
    const exists = once<{ count: number; prevCount: number }>(idler, 'exists');
    void idler.idle();
    await smtpSend(a, 'second');
    const ev = await exists;
    expect(ev.count).toBe(2);
    expect(ev.prevCount).toBe(1);
  });

  it("a WebSocket feed on one node announces mail accepted and deleted through another node's API", async () => {
    const [a, b] = await cluster3(tenant());
    const ws = new WebSocket(`ws://127.0.0.1:${b.ports.http}/api/v1/events`);
    const frames: Array<{ type: string; data: any }> = [];
    const waiting: Array<() => void> = [];
    ws.on('message', (d) => {
      frames.push(JSON.parse(String(d)));
      for (const w of waiting.splice(0)) w();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const frame = (type: string) =>
      new Promise<{ type: string; data: any }>((resolve) => {
        const check = () => {
          const f = frames.find((x) => x.type === type);
          if (f) resolve(f);
          else waiting.push(check);
        };
        check();
      });
    try {
      await smtpSend(a, 'feed me');
      const added = await frame('message.added');
      expect(added.data.subject).toBe('feed me');
      const del = await fetch(`${a.url}/api/v1/messages/${added.data.id}`, { method: 'DELETE' });
      expect(del.status).toBe(204);
      const deleted = await frame('message.deleted');
      expect(JSON.stringify(deleted.data)).toContain(added.data.id);
    } finally {
      ws.close();
    }
  });

  it('flag changes and expunges on one node reach IMAP sessions on another', async () => {
    const [a, b] = await cluster3(tenant());
    await a.deliver(eml('flag me'), { to: 'bob@example.test' });
    await a.deliver(eml('keep me'), { to: 'bob@example.test' });
    await b.waitForMessage({ subject: 'keep me' }, { timeout: 5000, since: 'start' });
    const watcher = await imap(b);
    await watcher.mailboxOpen('INBOX');
    const changer = await imap(a);
    await changer.mailboxOpen('INBOX');
    const flags = once<{ uid?: number; seq: number; flags: Set<string> }>(watcher, 'flags');
    void watcher.idle();
    await changer.messageFlagsAdd('1', ['\\Flagged', '$Label1']);
    const f = await flags;
    expect(f.seq).toBe(1);
    expect([...f.flags]).toEqual(expect.arrayContaining(['\\Flagged', '$Label1']));
    const expunge = once<{ seq: number }>(watcher, 'expunge');
    void watcher.idle();
    await changer.messageDelete('1');
    expect((await expunge).seq).toBe(1);
    // And the HTTP side of the watching node agrees.
    expect(b.messages().map((m) => m.subject)).toEqual(['keep me']);
  });

  it('concurrent APPENDs through two nodes get unique UIDs, ascending in commit order, under one UIDVALIDITY', async () => {
    const [a, b, c] = await cluster3(tenant());
    await a.deliver(eml('seed'), { to: 'bob@example.test' });
    await b.waitForMessage({ subject: 'seed' }, { timeout: 5000, since: 'start' });
    const [ca, cb] = await Promise.all([imap(a), imap(b)]);
    const appendMany = async (client: ImapFlow, prefix: string) => {
      const got: Array<{ uid: number; uidValidity: bigint }> = [];
      for (let i = 0; i < 15; i++) {
        const r = await client.append('INBOX', eml(`${prefix}-${i}`));
        if (!r || r.uid === undefined || r.uidValidity === undefined) throw new Error('APPEND without APPENDUID');
        got.push({ uid: r.uid, uidValidity: r.uidValidity });
      }
      return got;
    };
    const [fromA, fromB] = await Promise.all([appendMany(ca, 'a'), appendMany(cb, 'b')]);
    const all = [...fromA, ...fromB];
    expect(new Set(all.map((r) => r.uidValidity)).size).toBe(1);
    const uids = all.map((r) => r.uid);
    expect(new Set(uids).size).toBe(30);
    // Each client's own appends were committed one after another: its UIDs only go up.
    for (const mine of [fromA, fromB]) expect(mine.map((r) => r.uid)).toEqual([...mine.map((r) => r.uid)].sort((x, y) => x - y));
    // A third node lists all 31 in UID order, the seed first.
    await c.waitForMessages({}, { count: 31, timeout: 5000, since: 'start' });
    const reader = await imap(c);
    await reader.mailboxOpen('INBOX');
    const seen: number[] = [];
    for await (const m of reader.fetch('1:*', { uid: true })) seen.push(m.uid);
    expect(seen).toHaveLength(31);
    expect(seen.slice(1)).toEqual([...uids].sort((x, y) => x - y));
    expect(seen[0]).toBeLessThan(Math.min(...uids));
  });

  it('holds the POP3 maildrop lock across nodes: [IN-USE] on another node until the holder quits', async () => {
    const [a, b] = await cluster3(tenant());
    await a.deliver(eml('pop me'), { to: 'carol@example.test' });
    const holder = (await rawConnect(a.ports.pop3!)).client;
    holder.sendLine('USER carol@example.test');
    await holder.readLine();
    holder.sendLine('PASS x');
    expect(await holder.readLine()).toMatch(/^\+OK/);
    const other = (await rawConnect(b.ports.pop3!)).client;
    other.sendLine('USER carol@example.test');
    await other.readLine();
    other.sendLine('PASS x');
    expect(await other.readLine()).toMatch(/^-ERR \[IN-USE\]/);
    holder.sendLine('QUIT');
    expect(await holder.readLine()).toMatch(/^\+OK/);
    // The holder's QUIT released the advisory lock; the next attempt on the other node gets the maildrop.
    const again = (await rawConnect(b.ports.pop3!)).client;
    again.sendLine('USER carol@example.test');
    await again.readLine();
    again.sendLine('PASS x');
    expect(await again.readLine()).toMatch(/^\+OK carol@example.test has 1 messages/);
    again.sendLine('QUIT');
    await again.readLine();
    other.sendLine('QUIT');
  });

  it('posts each webhook once, from the node that accepted the message, however many nodes apply it', async () => {
    const t = tenant();
    // Nothing listens on the hook URL: deliveries fail, which is fine; what counts is who enqueued them.
    const hook = { urls: ['http://127.0.0.1:9/hook'], retryDelaysMs: [] };
    const [a, b] = await Promise.all([
      createSandbox({ databaseUrl: url, tenant: t, webhooks: hook, smtps: { port: false }, pop3s: { port: false }, imaps: { port: false }, submission: { port: false }, logLevel: 'silent' }),
      createSandbox({ databaseUrl: url, tenant: t, webhooks: hook, smtps: { port: false }, pop3s: { port: false }, imaps: { port: false }, submission: { port: false }, logLevel: 'silent' }),
    ]);
    nodes.push(a, b);
    await smtpSend(a, 'hook one');
    await smtpSend(a, 'hook two');
    await smtpSend(b, 'hook three');
    // Each node has applied all three (events are emitted as a change is applied, and webhooks enqueued with them).
    await Promise.all([a.waitForMessages({}, { count: 3, since: 'start', timeout: 5000 }), b.waitForMessages({}, { count: 3, since: 'start', timeout: 5000 })]);
    const added = (s: Sandbox) => s.webhooks.deliveries().filter((d) => d.event === 'message.added').length;
    expect(added(a)).toBe(2);
    expect(added(b)).toBe(1);
  });

  /** Resolves once `cond` holds for the node's fault rules, checked at each rule event (rules come from the log). */
  function faultsUntil(s: Sandbox, cond: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      if (cond()) return resolve();
      const events = ['fault.added', 'fault.removed', 'fault.cleared', 'fault.counted'] as const;
      const offs = events.map((e) =>
        s.store.faults.on(e, () => {
          if (!cond()) return;
          for (const off of offs) off();
          resolve();
        }),
      );
    });
  }

  const smtpCode = (p: Promise<unknown>) => p.then(() => 250, (err: { responseCode?: number }) => err.responseCode ?? err);

  it("a fault rule added through one node's REST API fires on another; hits are the sandbox's; removing it on the second stops it on the first", async () => {
    const t = tenant();
    const [a, b] = await Promise.all([node(t), node(t)]);
    const res = await fetch(`${a.url}/api/v1/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ protocol: 'smtp', on: 'rcpt', match: { to: 'blocked@' }, action: 'reply', reply: '550 5.1.1 No such user here' }),
    });
    expect(res.status).toBe(201);
    const rule = (await res.json()) as { id: string };
    await faultsUntil(b, () => b.store.faults.get(rule.id) !== undefined);
    expect(await smtpCode(smtpSend(b, 'refused on b', 'blocked@example.test'))).toBe(550);
    expect(await smtpCode(smtpSend(b, 'fine on b', 'fine@example.test'))).toBe(250);
    // The hit is a change in the log: node A counts it too, and GET on A shows the sandbox-wide figure.
    await faultsUntil(a, () => a.store.faults.get(rule.id)?.hits === 1);
    const listed = (await (await fetch(`${a.url}/api/v1/faults`)).json()) as { faults: Array<{ id: string; hits: number }> };
    expect(listed.faults.map((f) => [f.id, f.hits])).toEqual([[rule.id, 1]]);
    // A node started now replays the rule with its hits.
    const c = await node(t);
    expect(c.store.faults.get(rule.id)).toMatchObject({ hits: 1, spent: false });
    expect((await fetch(`${b.url}/api/v1/faults/${rule.id}`, { method: 'DELETE' })).status).toBe(204);
    await faultsUntil(a, () => a.store.faults.size === 0);
    expect(await smtpCode(smtpSend(a, 'passes on a', 'blocked@example.test'))).toBe(250);
    await faultsUntil(c, () => c.store.faults.size === 0);
  });

  it('a rule with times: 1 fires once for the whole sandbox, not once per node; the other node\'s live feed shows the count', async () => {
    const t = tenant();
    const [a, b] = await Promise.all([node(t), node(t)]);
    const rule = await a.faults.add({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Try again later', times: 1 });
    await faultsUntil(b, () => b.store.faults.get(rule.id) !== undefined);
    // B's WebSocket feed (what its Faults page listens to) hears the hit that A counts.
    const ws = new WebSocket(`ws://127.0.0.1:${b.ports.http}/api/v1/events`);
    const counted = new Promise<{ id: string; hits: number; spent: boolean }>((resolve) =>
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as { type: string; data: { id: string; hits: number; spent: boolean } };
        if (f.type === 'fault.counted') resolve(f.data);
      }),
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    expect(await smtpCode(smtpSend(a, 'first try'))).toBe(451);
    expect(await counted).toEqual({ id: rule.id, hits: 1, spent: true });
    ws.close();
    // Spent on A at once; B learns it from the log (the notification follows the commit within milliseconds).
    await faultsUntil(b, () => b.store.faults.get(rule.id)?.spent === true);
    expect(await smtpCode(smtpSend(b, 'retry on b'))).toBe(250);
    expect(await smtpCode(smtpSend(a, 'retry on a'))).toBe(250);
    expect(await b.faults.get(rule.id)).toMatchObject({ hits: 1, spent: true });
    expect(await a.faults.get(rule.id)).toMatchObject({ hits: 1, spent: true });
  });

  it('keeps tenants apart: mail, folders and events of one tenant never reach another', async () => {
    const t1 = tenant();
    const t2 = tenant();
    const [x1, x2, y] = await Promise.all([node(t1), node(t1), node(t2)]);
    const addedOnY: string[] = [];
    y.store.on('message.added', (m) => addedOnY.push(m.summary.subject));
    await smtpSend(x1, 'for tenant one');
    await x2.waitForMessage({ subject: 'for tenant one' }, { timeout: 5000, since: 'start' });
    await smtpSend(y, 'for tenant two');
    await y.waitForMessage({ subject: 'for tenant two' }, { timeout: 5000, since: 'start' });
    // y applies its tenant's log in order: had tenant one's row been in it, it would have come first.
    expect(addedOnY).toEqual(['for tenant two']);
    expect(y.messages().map((m) => m.subject)).toEqual(['for tenant two']);
    expect(x2.messages().map((m) => m.subject)).toEqual(['for tenant one']);
    expect(y.store.getMailbox('bob@example.test')?.folders.size).toBeGreaterThan(0);
    x1.store.createFolder('bob@example.test', 'OnlyInOne');
    await x1.store.durable();
    await smtpSend(y, 'later on two');
    await y.waitForMessage({ subject: 'later on two' }, { timeout: 5000, since: 'start' });
    expect(y.store.getFolder('bob@example.test', 'OnlyInOne')).toBeUndefined();
  });
});
