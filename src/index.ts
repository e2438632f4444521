export { createSandbox, Sandbox, version } from './api/create-sandbox.js';
export type { Ports, AnyPorts, SandboxWith } from './api/create-sandbox.js';
export { ConfigError, defaultLimits } from './config.js';
export type { SandboxOptions, SandboxConfig, Limits, SmtpAuthMode, StartTlsMode, ListenerName, PortOption } from './config.js';
// What waitForMessage rejects with, so a test can tell a timeout from a refused wait with `instanceof`.
export { WaitTimeoutError, WaiterLimitError, WaitAbortedError } from './store/message-waiter.js';
export type {
  MessageSummary,
  MessageDetails,
  MailMessage,
  MessageFilter,
  TextMatch,
  WaitOptions,
  ListOptions,
  DeliverOptions,
  AttachmentInfo,
  Address,
  Envelope,
  TranscriptLine,
} from './api/types.js';
export type { SandboxInfo, ListenerInfo } from './shared/server-context.js';
export { createClient, MailSandboxHttpError } from './api/client.js';
export type { MailSandboxClient, ClientOptions } from './api/client.js';
export type { SessionSummary } from './api/types.js';
export { FaultRuleError } from './store/fault-rule.js';
export type { FaultsApi, FaultRuleHandle, FaultRule, FaultRuleInput, FaultProtocol, FaultAction, FaultPer } from './api/faults.js';
export { CheckNotConfiguredError } from './checks/message-checks.js';
export type { CheckName, CheckResults, ChecksReport } from './checks/message-checks.js';
export type { Checkable } from './api/checkable.js';
// SPEC §15: send, release, webhooks, metrics.
export { SendValidationError } from './mime/compose-message.js';
export type { SendInput, SendAddress } from './mime/compose-message.js';
export { RelayError } from './relay/relay.js';
export type { ReleaseResult } from './relay/relay.js';
export type { WebhookDelivery, WebhookEventName } from './webhooks/webhook-dispatcher.js';
export type { RelayRecord } from './store/types.js';
export type { SandboxMetrics } from './metrics/sandbox-metrics.js';
