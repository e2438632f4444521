import type { FlagSpec, SandboxOptions } from './config.js';
import { parseAllowPatterns } from './relay/relay-allow-list.js';
import { parseRelayUrl } from './relay/relay-url.js';
import type { RelaySettings } from './relay/relay.js';
import { defaultWebhookEvents, webhookEventNames, type WebhookEventName, type WebhookSettings } from './webhooks/webhook-dispatcher.js';

/** The team-sandbox options of `createSandbox()` (SPEC §15): release/relay and webhooks. */
export interface TeamOptions {
  /**
   * Release to a real SMTP server. Nothing is relayed to an address `allow` does not match (default: nothing).
   * @example { url: 'smtp://me:secret@smtp.example.com:587?starttls=required', allow: ['*@example.com'] }
   */
  relay?: {
    url: string;
    allow?: string[];
    returnPath?: string;
    /** Release every new message matching this search query. */
    auto?: string;
    /** PEM certificate(s) to trust besides Node's CA store, e.g. a test relay's self-signed certificate. */
    ca?: string;
    timeoutMs?: number;
  };
  /** JSON POSTs of store events to these URLs, HMAC-signed with `secret`. */
  webhooks?: {
    urls: string[];
    secret?: string;
    /** Default `message.added`, `message.deleted`. */
    events?: WebhookEventName[];
    /** Waits before each retry (default 1, 2, 4, 8 s); tests pass short ones. */
    retryDelaysMs?: number[];
    /** Default 10 s. */
    timeoutMs?: number;
  };
}

export interface TeamConfig {
  /** Undefined without a relay URL (release answers 409). */
  readonly relay?: RelaySettings;
  readonly webhooks: WebhookSettings;
}

const defaultRetryDelaysMs = [1000, 2000, 4000, 8000];

/** Validates the team options, pushing one problem per mistake. */
export function resolveTeamOptions(options: TeamOptions, problems: string[]): TeamConfig {
  return { relay: resolveRelay(options.relay, problems), webhooks: resolveWebhooks(options.webhooks, problems) };
}

function resolveRelay(relay: TeamOptions['relay'], problems: string[]): RelaySettings | undefined {
  if (!relay) return undefined;
  if (typeof relay.url !== 'string' || relay.url === '') {
    if (relay.allow?.length || relay.auto || relay.returnPath) problems.push('relay allow, auto and return path need a relay URL (--relay)');
    return undefined;
  }
  let target;
  try {
    target = parseRelayUrl(relay.url);
  } catch (err) {
    problems.push((err as Error).message);
    return undefined;
  }
  if (relay.returnPath !== undefined && /[\s<>\u0000-\u001f\u007f]/.test(relay.returnPath)) problems.push('relay return path must be a plain address');
  if (relay.timeoutMs !== undefined && !(Number.isInteger(relay.timeoutMs) && relay.timeoutMs > 0)) problems.push('relay timeoutMs must be a positive whole number');
  const allow = (relay.allow ?? []).flatMap(parseAllowPatterns);
  return { target, allow, returnPath: relay.returnPath, auto: relay.auto || undefined, ca: relay.ca, timeoutMs: relay.timeoutMs };
}

function resolveWebhooks(webhooks: TeamOptions['webhooks'], problems: string[]): WebhookSettings {
  const urls = webhooks?.urls ?? [];
  for (const u of urls) {
    const url = URL.canParse(u) ? new URL(u) : undefined;
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') problems.push(`webhook must be an http:// or https:// URL, got ${JSON.stringify(u)}`);
  }
  const events = webhooks?.events ?? [...defaultWebhookEvents];
  for (const e of events) if (!(webhookEventNames as readonly string[]).includes(e)) problems.push(`webhook event ${JSON.stringify(e)} is unknown; known: ${webhookEventNames.join(', ')}`);
  const retryDelaysMs = webhooks?.retryDelaysMs ?? defaultRetryDelaysMs;
  if (!retryDelaysMs.every((d) => Number.isInteger(d) && d >= 0) || retryDelaysMs.length > 10) problems.push('webhook retryDelaysMs must be at most 10 whole numbers >= 0');
  const timeoutMs = webhooks?.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) problems.push('webhook timeoutMs must be a positive whole number');
  return { urls: [...urls], secret: webhooks?.secret || undefined, events, retryDelaysMs: [...retryDelaysMs], timeoutMs };
}

const relayOf = (o: SandboxOptions) => (o.relay ??= { url: '' });
const webhooksOf = (o: SandboxOptions) => (o.webhooks ??= { urls: [] });

/** The CLI flags of SPEC §15. `--webhook` and `--relay-allow` may be repeated. */
export const teamFlagSpecs: readonly FlagSpec[] = [
  { flag: 'relay', env: 'MAILSANDBOX_RELAY', help: 'release to this SMTP server: smtp[s]://user:pass@host:port[?starttls=required][&verify=false]', apply: (o, v) => void (relayOf(o).url = v) },
  {
    flag: 'relay-allow',
    env: 'MAILSANDBOX_RELAY_ALLOW',
    multiple: true,
    help: 'recipient patterns the relay may send to, e.g. *@example.com (default: none)',
    apply: (o, v) => void (relayOf(o).allow = [...(relayOf(o).allow ?? []), ...parseAllowPatterns(v)]),
  },
  { flag: 'relay-return-path', env: 'MAILSANDBOX_RELAY_RETURN_PATH', help: 'envelope sender for released mail (default: the original)', apply: (o, v) => void (relayOf(o).returnPath = v) },
  { flag: 'relay-auto', env: 'MAILSANDBOX_RELAY_AUTO', help: 'release every new message matching this search query', apply: (o, v) => void (relayOf(o).auto = v) },
  {
    flag: 'webhook',
    env: 'MAILSANDBOX_WEBHOOK',
    multiple: true,
    help: 'POST events as JSON to this URL (repeatable; env: URLs separated by spaces)',
    apply: (o, v) => void webhooksOf(o).urls.push(...v.split(/\s+/).filter(Boolean)),
  },
  { flag: 'webhook-secret', env: 'MAILSANDBOX_WEBHOOK_SECRET', help: 'sign webhook bodies: X-Mailsandbox-Signature: sha256=<HMAC>', apply: (o, v) => void (webhooksOf(o).secret = v) },
  {
    flag: 'webhook-events',
    env: 'MAILSANDBOX_WEBHOOK_EVENTS',
    help: `events to send, comma-separated, or all (default ${defaultWebhookEvents.join(',')})`,
    apply(o, v) {
      const list = v.split(/[,\s]+/).filter(Boolean);
      webhooksOf(o).events = (list.includes('all') ? [...webhookEventNames] : list) as WebhookEventName[];
    },
  },
];
