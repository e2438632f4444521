import { randomBytes, randomInt } from 'node:crypto';
import { TypedEmitter } from '../shared/typed-emitter.js';
import { compilePattern, parseFaultRule, type FaultMatchField, type FaultProtocol, type FaultRule, type FaultRuleInput } from './fault-rule.js';
import type { FaultChange } from './store-change.js';

/** What a protocol knows about the event a rule may fire on; absent facts never match a `match` field. */
export interface FaultFacts {
  /** Envelope recipient(s): the one being added at `rcpt`, all of them later. */
  to?: string | readonly string[];
  from?: string;
  /** Computed only if a rule asks for it (the header must be read). */
  subject?: () => string;
  user?: string;
  mailbox?: string;
}

/** The `fault.hit` frame's data (SPEC §13). */
export interface FaultHit {
  ruleId: string;
  protocol: FaultProtocol;
  on: string;
  sessionId: string;
}

export interface FaultRuleEvents {
  'fault.added': [rule: FaultRule];
  'fault.removed': [rule: FaultRule];
  'fault.cleared': [];
  'fault.hit': [hit: FaultHit, rule: FaultRule];
  /** A rule's `hits` grew: it fired here (just before `fault.hit`) or on another node sharing the store. */
  'fault.counted': [rule: FaultRule];
}

/** Keys counted per rule (`per`) are bounded: a load test with random senders must not grow memory without end. */
const maxKeysPerRule = 100_000;

interface CompiledRule {
  /** Insertion order: when several rules could fire, the oldest does. */
  seq: number;
  rule: FaultRule;
  matchers: Array<[FaultMatchField, (value: string) => boolean]>;
  counts: Map<string, { seen: number; fired: number }>;
  random: () => number;
}

/**
 * The fault rules of one sandbox (SPEC §13). They are store state: adding, removing and each firing are change records
 * (`addFaultRule`, `removeFaultRules`, `faultHit`) handed to `commit` — the store's `#commit`, so a durable backend
 * writes them before they count and a shared one replays them on every node — and `apply()` is what they do to the
 * set. Protocols ask `check()` at each stage; with no rule for a protocol that is one property read (the hot path).
 */
export class FaultRuleSet extends TypedEmitter<FaultRuleEvents> {
  readonly #rules = new Map<string, CompiledRule>();
  /** Rules by `protocol` + `on`: an event looks only at the rules of its own stage or command. */
  readonly #byEvent = new Map<string, CompiledRule[]>();
  #seq = 0;
  readonly #perProtocol: Record<FaultProtocol, number> = { smtp: 0, pop3: 0, imap: 0 };
  /** Faults fired since start, by protocol: the `mailsandbox_faults_fired_total` counter. */
  readonly fired: Record<FaultProtocol, number> = { smtp: 0, pop3: 0, imap: 0 };
  readonly #commit: (change: FaultChange) => void;
  readonly #durable: () => Promise<void>;

  /**
   * `commit` persists a change and applies it (calls `apply`); `durable` resolves once every change so far is
   * persisted (the store's `durable()`). Alone (unit tests), changes are applied at once.
   */
  constructor(commit?: (change: FaultChange) => void, durable?: () => Promise<void>) {
    super();
    this.#commit = commit ?? ((change) => void this.apply(change));
    this.#durable = durable ?? (() => Promise.resolve());
  }

  /** Resolves once the rule changes made so far are persisted (a shared store commits them asynchronously). */
  durable(): Promise<void> {
    return this.#durable();
  }

  /** True when a rule exists for the protocol; protocols skip building facts otherwise. */
  has(protocol: FaultProtocol): boolean {
    return this.#perProtocol[protocol] > 0;
  }

  get size(): number {
    return this.#rules.size;
  }

  /** Validates (throws FaultRuleError naming the field) and adds a rule; nothing is added when it throws. */
  add(input: unknown): FaultRule {
    return this.#add(parseFaultRule(input), false);
  }

  #add(spec: FaultRuleInput, loadedAtStart: boolean): FaultRule {
    const rule: FaultRule = { id: `f-${randomBytes(6).toString('base64url')}`, ...spec, hits: 0, spent: false, createdAt: new Date().toISOString(), ...(loadedAtStart ? { loadedAtStart: true as const } : {}) };
    if (rule.probability !== undefined && rule.seed === undefined) rule.seed = randomInt(0, 2 ** 32 - 1);
    this.#commit({ kind: 'addFaultRule', rule });
    return this.#rules.get(rule.id)?.rule ?? rule;
  }

  /**
   * The rules of `faults` / `--faults FILE` at start (validated by the caller). A durable or shared store still holds
   * the rules an earlier start loaded: a rule identical to one of them stays as it is (id, hits, spent); the others
   * the earlier start loaded are removed; rules added through the API are never touched. Restarting with the same file
   * therefore changes nothing, and editing the file changes exactly what the edit says.
   */
  loadAtStart(inputs: readonly unknown[]): void {
    const kept = this.list().filter((r) => r.loadedAtStart);
    const specs = inputs.map((input) => parseFaultRule(input));
    const fresh: FaultRuleInput[] = [];
    for (const spec of specs) {
      const same = kept.findIndex((r) => sameSpec(r, spec));
      if (same >= 0) kept.splice(same, 1);
      else fresh.push(spec);
    }
    if (kept.length) this.#commit({ kind: 'removeFaultRules', ids: kept.map((r) => r.id), all: false });
    for (const spec of fresh) this.#add(spec, true);
  }

  /** Puts back rules a durable backend kept (ids, hits and spent as they were); their counters per key start afresh. */
  restore(rules: readonly FaultRule[]): void {
    for (const r of rules) this.#insert({ ...r, ...parseFaultRule(stripCounters(r)) });
  }

  list(): FaultRule[] {
    return [...this.#rules.values()].map((c) => c.rule);
  }

  get(id: string): FaultRule | undefined {
    return this.#rules.get(id)?.rule;
  }

  remove(id: string): boolean {
    if (!this.#rules.has(id)) return false;
    this.#commit({ kind: 'removeFaultRules', ids: [id], all: false });
    return true;
  }

  /** Removes every rule; returns how many there were. */
  clear(): number {
    const ids = [...this.#rules.keys()];
    this.#commit({ kind: 'removeFaultRules', ids, all: true });
    return ids.length;
  }

  /**
   * What a fault change record does to the set (the store calls it from its `#apply`, for its own changes and for
   * those replayed from a log). Idempotent where it can be: a rule added twice is added once, a hit on a rule that is
   * gone (removed on another node meanwhile) is nothing.
   */
  apply(change: FaultChange): FaultRule | boolean | undefined {
    switch (change.kind) {
      case 'addFaultRule': {
        const existing = this.#rules.get(change.rule.id);
        if (existing) return existing.rule;
        // A copy: the record may still be waiting to be encoded (PostgreSQL) while hits grow.
        const rule = { ...change.rule };
        this.#insert(rule);
        this.emit('fault.added', rule);
        return rule;
      }
      case 'removeFaultRules': {
        const gone: FaultRule[] = [];
        for (const id of change.ids) {
          const c = this.#rules.get(id);
          if (c) gone.push(this.#delete(c));
        }
        if (change.all && this.#rules.size === 0) this.emit('fault.cleared');
        else for (const rule of gone) this.emit('fault.removed', rule);
        return gone.length > 0;
      }
      case 'faultHit': {
        const rule = this.#rules.get(change.id)?.rule;
        if (!rule) return undefined;
        rule.hits++;
        if (rule.times !== undefined && rule.per === undefined && rule.hits >= rule.times) rule.spent = true;
        this.emit('fault.counted', rule);
        return rule;
      }
    }
  }

  /**
   * The first rule that fires for this event, counted (hits, times, skip, probability), or null.
   * `names` are the event's names, most specific first: `['UID FETCH', 'FETCH']`, `['LOGIN', 'auth']`, `['rcpt']`.
   */
  check(protocol: FaultProtocol, names: readonly string[], sessionId: string, facts: FaultFacts = {}): FaultRule | null {
    if (this.#perProtocol[protocol] === 0) return null;
    for (const c of this.#candidates(protocol, names)) {
      const { rule } = c;
      if (rule.spent || !matches(c, facts)) continue;
      if (!this.#counts(c, keyOf(rule, sessionId, facts))) continue;
      this.fired[protocol]++;
      const hit: FaultChange = { kind: 'faultHit', id: rule.id };
      try {
        this.#commit(hit);
      } catch {
        // The store could not record the hit (a full disk): the fault still fires; the count is this process's own.
        this.apply(hit);
      }
      this.emit('fault.hit', { ruleId: rule.id, protocol, on: rule.on, sessionId }, rule);
      return rule;
    }
    return null;
  }

  /** The rules listening for any of `names`, oldest first. */
  #candidates(protocol: FaultProtocol, names: readonly string[]): readonly CompiledRule[] {
    if (names.length === 1) return this.#byEvent.get(eventKey(protocol, names[0])) ?? [];
    const all = names.flatMap((n) => this.#byEvent.get(eventKey(protocol, n)) ?? []);
    return all.sort((a, b) => a.seq - b.seq);
  }

  /** skip, then times, then probability: only events that pass all three fire. */
  #counts(c: CompiledRule, key: string): boolean {
    const { rule } = c;
    let n = c.counts.get(key);
    if (!n) {
      if (c.counts.size >= maxKeysPerRule) c.counts.delete(c.counts.keys().next().value as string);
      n = { seen: 0, fired: 0 };
      c.counts.set(key, n);
    }
    n.seen++;
    if (n.seen <= (rule.skip ?? 0)) return false;
    if (rule.times !== undefined && n.fired >= rule.times) return false;
    if (rule.probability !== undefined && c.random() >= rule.probability) return false;
    n.fired++;
    return true;
  }

  #delete(c: CompiledRule): FaultRule {
    this.#rules.delete(c.rule.id);
    const key = eventKey(c.rule.protocol, c.rule.on);
    const list = (this.#byEvent.get(key) ?? []).filter((x) => x !== c);
    if (list.length) this.#byEvent.set(key, list);
    else this.#byEvent.delete(key);
    this.#perProtocol[c.rule.protocol]--;
    return c.rule;
  }

  #insert(rule: FaultRule): void {
    const matchers = Object.entries(rule.match ?? {}).map(([field, pattern]) => [field, compilePattern(pattern)] as [FaultMatchField, (v: string) => boolean]);
    const c: CompiledRule = { seq: this.#seq++, rule, matchers, counts: new Map(), random: seededRandom(rule.seed ?? 0) };
    this.#rules.set(rule.id, c);
    const key = eventKey(rule.protocol, rule.on);
    this.#byEvent.set(key, [...(this.#byEvent.get(key) ?? []), c]);
    this.#perProtocol[rule.protocol]++;
  }
}

const eventKey = (protocol: FaultProtocol, on: string): string => `${protocol} ${on}`;

function matches(c: CompiledRule, facts: FaultFacts): boolean {
  for (const [field, test] of c.matchers) {
    const value = field === 'subject' ? facts.subject?.() : facts[field];
    if (value === undefined) return false;
    if (typeof value === 'string' ? !test(value) : !value.some(test)) return false;
  }
  return true;
}

/** The counting key of `per`: greylisting counts each sender+recipient pair on its own. */
function keyOf(rule: FaultRule, sessionId: string, facts: FaultFacts): string {
  const to = typeof facts.to === 'string' ? facts.to : (facts.to ?? []).join(',');
  switch (rule.per) {
    case undefined:
      return '';
    case 'sender+recipient':
      return `${(facts.from ?? '').toLowerCase()}\n${to.toLowerCase()}`;
    case 'sender':
      return (facts.from ?? '').toLowerCase();
    case 'recipient':
      return to.toLowerCase();
    case 'user':
      return (facts.user ?? '').toLowerCase();
    case 'connection':
      return sessionId;
  }
}

function stripCounters(r: FaultRule): FaultRuleInput {
  const { id: _id, hits: _hits, spent: _spent, createdAt: _createdAt, loadedAtStart: _loadedAtStart, ...input } = r;
  return input;
}

/** A kept rule and a rule from the file are the same rule (a seed the store chose counts as no seed). */
function sameSpec(kept: FaultRule, spec: FaultRuleInput): boolean {
  const k = stripCounters(kept);
  if (spec.seed === undefined) delete k.seed;
  return canonical(k) === canonical(spec);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/**
 * mulberry32: a tiny PRNG with a 32-bit state. One per rule, so `probability` with a `seed` gives the same
 * sequence of decisions for the same sequence of events, whatever other rules do.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
