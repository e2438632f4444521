import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPostgresStore, postgresBackendOf } from '../../src/store/postgres/postgres-backend.js';
import type { MessageStore } from '../../src/store/message-store.js';
import type { StoreOptions } from '../../src/store/types.js';
import { stateOf, storeContract } from '../unit/store-contract-suite.js';
import { postgresMissing, startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';

/**
 * Log compaction of the PostgreSQL store (issue #13): a node writes the tenant's state as a snapshot and deletes the
 * log rows before it; a node that starts later loads the snapshot and replays only the tail. The whole store contract
 * runs with every reopen going through a fresh compaction (so every state the contract builds must survive a
 * snapshot exactly: UIDVALIDITY, UIDs, MODSEQs, flags, the QRESYNC expunge memory), plus the cases below.
 */
describe.skipIf(postgresMissing)(`PostgreSQL store with log compaction${postgresMissing ? ` (skipped: ${postgresMissing})` : ''}`, () => {
  let cluster: PostgresCluster;
  let url = '';
  let n = 0;
  const tenants = new WeakMap<MessageStore, string>();
  const opened = new Set<MessageStore>();

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    url = await cluster.createDatabase('compacted');
  });
  afterAll(async () => {
    await Promise.all([...opened].map((s) => s.close()));
    await cluster?.destroy();
  });

  async function openTenant(tenant: string, options?: Partial<StoreOptions>, compactAfter = 0): Promise<MessageStore> {
    const store = await openPostgresStore({ maxMessages: 0, ...options }, { url, tenant, compactAfter });
    tenants.set(store, tenant);
    opened.add(store);
    return store;
  }

  async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  const eml = (subject: string, marker = subject) => Buffer.from(`From: b@example.test\r\nTo: ann@example.test\r\nSubject: ${subject}\r\n\r\nbody ${marker}\r\n`);

  storeContract({
    name: 'PostgreSQL, reopened from a snapshot',
    open: (options) => openTenant(`compacted-${++n}`, options),
    async reopen(store, options) {
      const tenant = tenants.get(store)!;
      await store.durable();
      await postgresBackendOf(store)!.compact();
      await store.close();
      opened.delete(store);
      return openTenant(tenant, options);
    },
    async cleanup() {
      await Promise.all([...opened].map((s) => s.close()));
      opened.clear();
    },
  });

  it('a node started after a compaction has the state of a node that ran through it (UIDVALIDITY, UIDs, MODSEQs, flags), from the snapshot and the log tail', async () => {
    const tenant = `running-${++n}`;
    const running = await openTenant(tenant);
    const inbox = () => running.getFolder('ann@example.test', 'INBOX')!;
    for (let i = 0; i < 6; i++) running.deliver({ raw: eml(`m${i}`), envelope: { mailFrom: 'b@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });
    running.setFlags(inbox().placements.slice(0, 3), ['\\Seen', '$Label1'], 'add');
    running.removePlacements([inbox().placements[1]]);
    running.createFolder('ann@example.test', 'Work');
    running.copyPlacements(inbox().placements.slice(0, 2), running.getFolder('ann@example.test', 'Work')!);
    await running.durable();
    const result = await postgresBackendOf(running)!.compact();
    expect(result).toMatchObject({ messages: 5 });
    expect(result!.deletedRows).toBeGreaterThan(0);
    // After the snapshot: changes that only the log tail has.
    running.setFlags(inbox().placements.slice(-1), ['\\Flagged'], 'add');
    running.deliver({ raw: eml('after'), envelope: { mailFrom: 'b@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });
    running.renewUidValidity('ann@example.test', 'Work');
    await running.durable();
    const [{ rows: logRows }] = await sql<{ rows: number }>('SELECT count(*)::int AS rows FROM mailsandbox_log WHERE tenant = $1', [tenant]);
    expect(logRows).toBe(3);

    const late = await openTenant(tenant);
    expect(stateOf(late)).toEqual(stateOf(running));
    // And both go on as one: a delivery through the late node gets the next UID on the running one.
    const m = late.deliver({ raw: eml('late'), envelope: { mailFrom: 'b@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });
    await late.durable();
    const uid = late.placementsOf(m)[0].uid;
    await expect.poll(() => running.get(m.id) && running.placementsOf(running.get(m.id)!)[0].uid).toBe(uid);
    expect(stateOf(late)).toEqual(stateOf(running));
  });

  it("reclaims a deleted message's bytes: after compaction neither the log nor the snapshot holds them", async () => {
    const tenant = `reclaim-${++n}`;
    const store = await openTenant(tenant);
    const keep = store.deliver({ raw: eml('keep', 'KEEP-MARKER'), envelope: { mailFrom: 'b@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });
    const gone = store.deliver({ raw: eml('gone', 'GONE-MARKER'), envelope: { mailFrom: 'b@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });
    store.deleteMessage(gone.id);
    await store.durable();
    const holding = (marker: string) =>
      sql<{ n: number }>(
        `SELECT (SELECT count(*) FROM mailsandbox_log WHERE tenant = $1 AND position($2::bytea IN raw) > 0)
              + (SELECT count(*) FROM mailsandbox_snapshot WHERE tenant = $1 AND position($2::bytea IN raw) > 0) AS n`,
        [tenant, Buffer.from(marker)],
      ).then((rows) => Number(rows[0].n));
    expect(await holding('GONE-MARKER')).toBe(1);
    await postgresBackendOf(store)!.compact();
    expect(await holding('GONE-MARKER')).toBe(0);
    expect(await holding('KEEP-MARKER')).toBe(1);
    const again = await openTenant(tenant);
    expect(again.get(gone.id)).toBeUndefined();
    expect(again.get(keep.id)?.raw.toString()).toContain('KEEP-MARKER');
  });

  it('compacts by itself once the log passes compactAfter rows past the snapshot', async () => {
    const tenant = `auto-${++n}`;
    const writer = await openTenant(tenant, undefined, 10);
    for (let i = 0; i < 12; i++) {
      writer.deliver({ raw: eml(`a${i}`), envelope: { mailFrom: 'b@example.test', rcptTo: ['ann@example.test'] }, source: 'smtp' });
      await writer.durable();
    }
    await expect.poll(async () => (await sql<{ seq: string }>('SELECT max(seq) AS seq FROM mailsandbox_snapshot WHERE tenant = $1', [tenant]))[0].seq).not.toBeNull();
    const late = await openTenant(tenant);
    expect(stateOf(late)).toEqual(stateOf(writer));
  });
});
