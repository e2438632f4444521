import { afterAll, beforeAll, describe } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/postgres-backend.js';
import type { MessageStore } from '../../src/store/message-store.js';
import type { StoreOptions } from '../../src/store/types.js';
import { storeContract } from '../unit/store-contract-suite.js';
import { postgresMissing, startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';

/**
 * The storage seam's contract suite against the PostgreSQL backend (issue #13), on a throwaway cluster: every test
 * gets its own tenant (so tests share nothing), and every test also closes the store and opens the tenant again
 * from the log, which must give exactly the same state.
 */
describe.skipIf(postgresMissing)(`PostgreSQL store${postgresMissing ? ` (skipped: ${postgresMissing})` : ''}`, () => {
  let cluster: PostgresCluster;
  let url = '';
  let n = 0;
  const tenants = new WeakMap<MessageStore, string>();
  const opened = new Set<MessageStore>();

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    url = await cluster.createDatabase('contract');
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  async function openTenant(tenant: string, options?: Partial<StoreOptions>): Promise<MessageStore> {
    const store = await openPostgresStore({ maxMessages: 0, ...options }, { url, tenant });
    tenants.set(store, tenant);
    opened.add(store);
    return store;
  }

  storeContract({
    name: 'PostgreSQL',
    open: (options) => openTenant(`contract-${++n}`, options),
    async reopen(store, options) {
      const tenant = tenants.get(store)!;
      await store.close();
      opened.delete(store);
      return openTenant(tenant, options);
    },
    async cleanup() {
      await Promise.all([...opened].map((s) => s.close()));
      opened.clear();
    },
  });
});
