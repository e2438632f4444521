import type { SandboxInfo, ServerContext } from '../shared/server-context.js';
import type { SandboxMetrics } from '../metrics/sandbox-metrics.js';
import type { Relay } from '../relay/relay.js';
import type { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';

/** What every HTTP handler is given: the sandbox context plus the HTTP server's own state. */
export interface HttpContext {
  readonly ctx: ServerContext;
  info(): SandboxInfo;
  /** Aborted when the HTTP server closes; pending long-polls end with 503. */
  readonly closing: AbortSignal;
  /** The configured relay (SPEC §15), or undefined without `--relay`. */
  relay?(): Relay | undefined;
  webhooks?(): WebhookDispatcher;
  metrics?(): SandboxMetrics;
}
