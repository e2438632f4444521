import type { FaultRule, FaultRuleInput } from '../store/fault-rule.js';
import type { FaultRuleSet } from '../store/fault-rules.js';

export type { FaultRule, FaultRuleInput, FaultProtocol, FaultAction, FaultPer } from '../store/fault-rule.js';

/**
 * A fault rule you added: every field as stored, its `hits` and `spent`, and `remove()`.
 * In-process, `hits` and `spent` are live; over HTTP (`createClient`) they are as of the last `refresh()`.
 */
export interface FaultRuleHandle extends Readonly<FaultRule> {
  /** Removes the rule; false when it was already gone. */
  remove(): Promise<boolean>;
  /** Reads `hits` and `spent` again (a no-op in-process, where they are live). */
  refresh(): Promise<FaultRuleHandle>;
}

/**
 * `sandbox.faults` and `client.faults` (SPEC §13).
 * @example
 * const rule = await sandbox.faults.add({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Try again later', times: 1, per: 'sender+recipient' });
 * await app.sendWelcomeMail();   // the app's first attempt gets 451 and retries
 * expect(rule.hits).toBe(1);
 * await rule.remove();
 */
export interface FaultsApi {
  /** Adds a rule; rejects with an error naming the bad field (nothing is added then). */
  add(rule: FaultRuleInput): Promise<FaultRuleHandle>;
  list(): Promise<FaultRule[]>;
  get(id: string): Promise<FaultRule | undefined>;
  remove(id: string): Promise<boolean>;
  /** Removes every rule; resolves with how many there were. */
  clear(): Promise<number>;
  /** Gives a folder a new, greater UIDVALIDITY (sessions with it selected get `* BYE`); resolves with it. */
  renewUidValidity(address: string, folder?: string): Promise<number>;
}

/** The in-process API over the store's rule set. */
export function localFaults(set: FaultRuleSet, renew: (address: string, folder: string) => number): FaultsApi {
  const handle = (rule: FaultRule): FaultRuleHandle => {
    const h = Object.create(null) as FaultRuleHandle;
    for (const key of Object.keys(rule) as Array<keyof FaultRule>) {
      Object.defineProperty(h, key, { enumerable: true, get: () => rule[key] });
    }
    Object.defineProperty(h, 'remove', { value: () => remove(rule.id) });
    Object.defineProperty(h, 'refresh', { value: () => Promise.resolve(h) });
    Object.defineProperty(h, 'toJSON', { value: () => ({ ...rule }) });
    return h;
  };
  // Each change resolves once the store keeps it (a shared store commits asynchronously).
  const remove = async (id: string) => {
    const removed = set.remove(id);
    await set.durable();
    return removed;
  };
  return {
    add: async (rule) => {
      const added = set.add(rule);
      await set.durable();
      return handle(added);
    },
    list: async () => set.list().map((r) => ({ ...r })),
    get: async (id) => {
      const r = set.get(id);
      return r && { ...r };
    },
    remove,
    clear: async () => {
      const n = set.clear();
      await set.durable();
      return n;
    },
    renewUidValidity: async (address, folder = 'INBOX') => renew(address, folder),
  };
}

/** What the HTTP client needs to implement the same API. */
export interface FaultsTransport {
  request<T>(method: string, path: string, body?: unknown): Promise<T | undefined>;
}

/** `client.faults`: the same API over the REST endpoints. */
export function remoteFaults(t: FaultsTransport): FaultsApi {
  const handle = (rule: FaultRule): FaultRuleHandle => {
    const h = { ...rule } as FaultRuleHandle & FaultRule;
    Object.defineProperty(h, 'remove', { value: () => api.remove(rule.id) });
    Object.defineProperty(h, 'refresh', {
      value: async () => {
        const now = await api.get(rule.id);
        if (now) Object.assign(h, { hits: now.hits, spent: now.spent });
        return h;
      },
    });
    return h;
  };
  const api: FaultsApi = {
    add: async (rule) => handle((await t.request<FaultRule>('POST', '/api/v1/faults', rule)) as FaultRule),
    list: async () => ((await t.request<{ faults: FaultRule[] }>('GET', '/api/v1/faults')) as { faults: FaultRule[] }).faults,
    get: (id) => t.request<FaultRule>('GET', `/api/v1/faults/${encodeURIComponent(id)}`),
    remove: async (id) => (await t.request<true>('DELETE', `/api/v1/faults/${encodeURIComponent(id)}`)) !== undefined,
    clear: async () => ((await t.request<{ deleted: number }>('DELETE', '/api/v1/faults')) as { deleted: number }).deleted,
    renewUidValidity: async (address, folder = 'INBOX') => {
      const path = `/api/v1/mailboxes/${encodeURIComponent(address)}/folders/${encodeURIComponent(folder)}/uidvalidity`;
      return ((await t.request<{ uidValidity: number }>('POST', path)) as { uidValidity: number }).uidValidity;
    },
  };
  return api;
}
