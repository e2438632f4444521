import { SandboxMetrics } from '../metrics/sandbox-metrics.js';
import { Relay, RelayError, type ReleaseResult } from '../relay/relay.js';
import type { ServerContext } from '../shared/server-context.js';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';

/**
 * The team-sandbox services of one sandbox (SPEC §15), each a store subscriber: the relay (when configured), the
 * webhook dispatcher and the metrics. Built by the composition root; closed with the sandbox.
 */
export class TeamServices {
  readonly metrics: SandboxMetrics;
  readonly webhooks: WebhookDispatcher;
  readonly relay: Relay | undefined;

  constructor(ctx: ServerContext) {
    const { config, store, sessions, logger } = ctx;
    this.metrics = new SandboxMetrics(ctx);
    this.webhooks = new WebhookDispatcher(config.webhooks, { store, sessions, logger, onAttempt: (r) => this.metrics.webhookDelivery(r) });
    this.relay = config.relay ? new Relay(config.relay, { store, logger, lowerBodyText: (m) => ctx.lowerBodyText(m) }) : undefined;
  }

  release(id: string, to?: readonly string[]): Promise<ReleaseResult> {
    if (!this.relay) return Promise.reject(new RelayError(409, 'relay_not_configured', 'No relay is configured: pass relay: { url, allow } (CLI: --relay, --relay-allow)'));
    return this.relay.release(id, to);
  }

  close(): void {
    this.webhooks.close();
    this.relay?.close();
    this.metrics.close();
  }
}
