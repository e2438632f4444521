export { createSandbox, Sandbox, version } from './api/create-sandbox.js';
export type { Ports } from './api/create-sandbox.js';
export { ConfigError, defaultLimits } from './config.js';
export type { SandboxOptions, Limits, SmtpAuthMode, ListenerName, PortOption } from './config.js';
export type {
  MessageSummary,
  MessageDetails,
  MailMessage,
  MessageFilter,
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
