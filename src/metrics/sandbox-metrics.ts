import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServerContext } from '../shared/server-context.js';

/** `mailsandbox_evictions_total{cause}` labels: the retention limits the store counts in `stats().evictedBy`. */
const evictionCauses = ['maxMessages', 'maxAge', 'maxSize'] as const;

const lintFailingDefaults = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * The Prometheus metrics of one sandbox (SPEC §15), in a registry of its own: many sandboxes in one process each
 * count their own mail. Counters follow store and session events; gauges are read at scrape time.
 */
export class SandboxMetrics {
  /** Private, so the public declarations never name prom-client's types (an app need not have them installed). */
  readonly #registry = new Registry();
  readonly #webhookDeliveries: Counter<'result'>;
  readonly #unsubscribe: Array<() => void> = [];
  #hasDefaultMetrics = false;

  constructor(ctx: ServerContext) {
    const { store, sessions, waiters, signals } = ctx;
    const registers = [this.#registry];
    new Gauge({ name: 'mailsandbox_messages_stored', help: 'Messages in the store now.', registers, collect() { this.set(store.size); } });
    new Gauge({
      name: 'mailsandbox_store_bytes',
      help: 'Bytes of the messages in the store now.',
      registers,
      collect() {
        let bytes = 0;
        for (const m of store.newestFirst()) bytes += m.size;
        this.set(bytes);
      },
    });
    new Gauge({ name: 'mailsandbox_mailboxes', help: 'Mailboxes in the store now.', registers, collect() { this.set(store.mailboxes().length); } });
    new Gauge({ name: 'mailsandbox_waits_pending', help: 'Blocking waits (waitForMessage, /messages/wait) in progress.', registers, collect() { this.set(waiters.active); } });
    const countReceived = receivedCounters(registers);
    const rejected = new Counter({ name: 'mailsandbox_messages_rejected_total', help: 'Messages or recipients refused, by protocol and reason.', labelNames: ['protocol', 'reason'], registers });
    const evictions = new Counter({ name: 'mailsandbox_evictions_total', help: 'Messages removed by retention, by cause.', labelNames: ['cause'], registers });
    const active = new Gauge({ name: 'mailsandbox_sessions_active', help: 'Open protocol sessions, by protocol.', labelNames: ['protocol'], registers });
    const faults = new Counter({ name: 'mailsandbox_faults_fired_total', help: 'Fault-injection rules that acted.', registers });
    this.#webhookDeliveries = new Counter({
      name: 'mailsandbox_webhook_deliveries_total',
      help: 'Webhook calls by result: success, retry (a failed attempt that will be retried), failure (given up).',
      labelNames: ['result'],
      registers,
    });
    // Zero series from the start, so a dashboard shows 0 rather than "no data" before the first event.
    for (const p of ['smtp', 'pop3', 'imap']) active.set({ protocol: p }, 0);
    for (const r of ['success', 'retry', 'failure']) this.#webhookDeliveries.inc({ result: r }, 0);
    for (const cause of evictionCauses) evictions.inc({ cause }, 0);
    // The store counts each eviction by cause before it deletes; the delta since the last one names the cause.
    let evictedBy = { ...store.stats().evictedBy };
    this.#unsubscribe.push(
      store.on('message.added', (m) => {
        // Received by this node (a message another node accepted is counted there).
        if (store.isApplyingRemote) return;
        countReceived(m.source, m.size);
      }),
      store.on('message.deleted', (_m, reason) => {
        if (reason !== 'evicted') return;
        const now = store.stats().evictedBy;
        for (const cause of evictionCauses) if (now[cause] > evictedBy[cause]) evictions.inc({ cause }, now[cause] - evictedBy[cause]);
        evictedBy = { ...now };
      }),
      sessions.on('session.started', (s) => active.inc({ protocol: s.protocol })),
      sessions.on('session.ended', (s) => active.dec({ protocol: s.protocol })),
      signals.on('message.rejected', (protocol, reason) => rejected.inc({ protocol, reason })),
      signals.on('fault.fired', () => faults.inc()),
    );
  }

  /** Counts one webhook attempt's outcome. */
  webhookDelivery(result: 'success' | 'retry' | 'failure'): void {
    this.#webhookDeliveries.inc({ result });
  }

  /**
   * The Prometheus text exposition. Node's default process metrics are added on the first scrape, not at start:
   * they install observers (GC, event-loop delay) that a sandbox nobody scrapes should not pay for.
   */
  async scrape(): Promise<{ contentType: string; body: string }> {
    if (!this.#hasDefaultMetrics) {
      this.#hasDefaultMetrics = true;
      collectDefaultMetrics({ register: this.#registry });
      // Gauges named `_total` fail `promtool check metrics`; their per-type twins (`nodejs_active_handles` ...) stay.
      for (const name of lintFailingDefaults) this.#registry.removeSingleMetric(name);
    }
    return { contentType: this.#registry.contentType, body: await this.#registry.metrics() };
  }

  close(): void {
    for (const off of this.#unsubscribe) off();
  }
}

/**
 * `mailsandbox_messages_received_total{protocol}` and `mailsandbox_received_bytes_total`, counted per message in plain
 * numbers and handed to the counters when scraped: a labelled inc() hashes its labels into a key each time, which
 * SMTP ingest paid on every message. Returns the function that counts one message.
 */
function receivedCounters(registers: Registry[]): (protocol: string, bytes: number) => void {
  const unscraped = { received: new Map<string, number>(), bytes: 0 };
  const received = new Counter({
    name: 'mailsandbox_messages_received_total',
    help: 'Messages stored since start, by the protocol that brought them.',
    labelNames: ['protocol'],
    registers,
    collect() {
      for (const [protocol, n] of unscraped.received) if (n > 0) this.inc({ protocol }, n);
      unscraped.received.clear();
    },
  });
  // Zero series from the start, as for the other labelled counters.
  for (const p of ['smtp', 'imap', 'api']) received.inc({ protocol: p }, 0);
  new Counter({
    name: 'mailsandbox_received_bytes_total',
    help: 'Bytes of the messages stored since start.',
    registers,
    collect() {
      if (unscraped.bytes > 0) this.inc(unscraped.bytes);
      unscraped.bytes = 0;
    },
  });
  return (protocol, bytes) => {
    unscraped.received.set(protocol, (unscraped.received.get(protocol) ?? 0) + 1);
    unscraped.bytes += bytes;
  };
}
