import type pg from 'pg';

/**
 * Versioned schema (issue #13). Applied at start by the first node to take the migration lock; the others wait on
 * the lock, then find nothing left to do. A version is never edited once released: a change is a new version.
 */
export const migrations: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      -- The change log: one total order per tenant. A row is a StoreChange (JSON) decided by the node that wrote it;
      -- seq is taken in the committing transaction under the tenant's write lock, so it has no gaps and no ties.
      CREATE TABLE mailsandbox_log (
        tenant       text        NOT NULL,
        seq          bigint      NOT NULL,
        kind         text        NOT NULL,
        change       text        NOT NULL,
        raw          bytea,
        node         text        NOT NULL,
        committed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, seq)
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- One row per node and tenant: the log seq this node has applied and made durable (written by its WAL flush
      -- and every ten seconds), and when. Compaction keeps the log rows that a live node has not applied yet.
      CREATE TABLE mailsandbox_node (
        tenant  text        NOT NULL,
        node    text        NOT NULL,
        seq     bigint      NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, node)
      );
      -- A tenant's state as of log seq "seq" (log compaction): part 0 is the header (folders, counters), parts 1..n
      -- one message each (its record, placements and relays as JSON, its bytes in raw). The log keeps rows after seq.
      CREATE TABLE mailsandbox_snapshot (
        tenant text   NOT NULL,
        part   bigint NOT NULL,
        seq    bigint NOT NULL,
        state  text   NOT NULL,
        raw    bytea,
        PRIMARY KEY (tenant, part)
      );
    `,
  },
];

/** Advisory-lock namespaces (the two-int form): 'mlsb' + a small number. */
export const lockSpace = { migrate: 0x6d6c7300, tenant: 0x6d6c7301, maildrop: 0x6d6c7302, compact: 0x6d6c7303 } as const;

/** Brings the schema to the newest version; safe to run from several nodes at once. Returns the versions applied. */
export async function migrate(client: pg.Client): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1, 0)', [lockSpace.migrate]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS mailsandbox_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM mailsandbox_schema');
    const current = rows[0]?.v ?? 0;
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO mailsandbox_schema (version) VALUES ($1)', [m.version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, 0)', [lockSpace.migrate]).catch(() => undefined);
  }
}
