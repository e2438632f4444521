// The HTTP API's shapes as the UI sees them (SPEC §8). The UI talks to the server only over HTTP and the
// WebSocket, so these mirror src/store/view-types.ts instead of importing it; test/types/ui-api-contract.ts fails the
// typecheck when the two drift apart.

export interface Address {
  name: string;
  address: string;
}

export interface MessageSummary {
  id: string;
  messageId: string;
  from: Address | null;
  /** SMTP `MAIL FROM`; '' for `<>`. Shown when the message has no From: header. */
  envelopeFrom: string;
  to: Address[];
  cc: Address[];
  subject: string;
  date: string | null;
  receivedAt: string;
  size: number;
  seen: boolean;
  hasAttachments: boolean;
  mailboxes: string[];
  source: 'smtp' | 'imap' | 'api';
  tags: string[];
  relays: RelayRecord[];
}

/** One release of a message to the relay (SPEC §15). */
export interface RelayRecord {
  at: string;
  to: readonly string[];
  relay: string;
  reply: string;
  ok: boolean;
}

/** `GET /api/v1/relay`. */
export interface RelayInfo {
  configured: boolean;
  relay: string | null;
  allow: string[];
  auto: string | null;
}

/** `POST /api/v1/messages/:id/release`. */
export interface ReleaseResult {
  relayedTo: string[];
  reply: string;
}

/** One entry of `GET /api/v1/webhooks`. */
export interface WebhookDelivery {
  id: string;
  url: string;
  event: string;
  status: number | null;
  attempts: number;
  durationMs: number;
  at: string;
  result: 'pending' | 'success' | 'failure';
  error: string | null;
}

export interface WebhooksState {
  urls: string[];
  events: string[];
  signed: boolean;
  deliveries: WebhookDelivery[];
}

export interface AttachmentInfo {
  index: number;
  filename: string | null;
  contentType: string;
  size: number;
  contentId: string | null;
  disposition: string | null;
}

export interface MessageDetails extends MessageSummary {
  headers: Array<{ name: string; value: string }>;
  bcc?: Address[];
  replyTo?: Address[];
  text: string | null;
  html: string | null;
  attachments: AttachmentInfo[];
  envelope: { mailFrom: string; rcptTo: string[] };
  flags: string[];
  links: string[];
  codes: string[];
  connection?: { remoteAddress?: string; heloName?: string; tls: boolean; authUser?: string; sessionId?: string };
}

export interface MessagePage {
  total: number;
  messages: MessageSummary[];
}

export interface MimePart {
  path: string;
  contentType: string;
  charset: string | null;
  encoding: string | null;
  disposition: string | null;
  filename: string | null;
  contentId: string | null;
  size: number;
  children: MimePart[];
}

export interface TranscriptLine {
  at: number | string;
  dir: 'C' | 'S' | '*';
  line: string;
}

export type Protocol = 'smtp' | 'pop3' | 'imap';

export interface SessionSummary {
  id: string;
  protocol: Protocol;
  startedAt: string;
  endedAt: string | null;
  remoteAddress: string;
  tls: boolean;
  user: string | null;
}

export interface SessionDetails extends SessionSummary {
  lines: TranscriptLine[];
}

export interface MailboxInfo {
  address: string;
}

export interface ListenerInfo {
  name: 'smtp' | 'submission' | 'smtps' | 'pop3' | 'pop3s' | 'imap' | 'imaps' | 'http';
  port: number;
  tls: 'starttls' | 'implicit' | 'none';
  url: string;
}

export interface SandboxInfo {
  version: string;
  host: string;
  listeners: ListenerInfo[];
  counts: { messages: number; mailboxes: number; received: number; evicted: number; sessions: number };
  maxMessageSize: number;
  smtpAuth: string;
  tlsSelfSigned: boolean;
  /** SHA-256 of the certificate served at /api/v1/tls/certificate. */
  tlsFingerprint256: string;
  /** Where mail is kept: in memory, or on disk (`--data-dir`). */
  store: { kind: string; path: string | null };
}

/** WebSocket frames from `/api/v1/events`. */
export type LiveEvent =
  | { type: 'message.added'; data: MessageSummary }
  | { type: 'message.updated'; data: MessageSummary }
  | { type: 'message.deleted'; data: { id: string } }
  | { type: 'store.cleared'; data?: unknown }
  | { type: 'mailbox.added'; data: { address: string } }
  | { type: 'mailbox.removed'; data: { address: string } }
  | { type: 'session.started'; data: SessionSummary }
  | { type: 'session.updated'; data: SessionSummary }
  | { type: 'session.ended'; data: SessionSummary }
  | { type: 'session.line'; data: { sessionId: string; line: TranscriptLine } }
  | { type: 'fault.hit'; data: FaultHit }
  | { type: 'fault.added'; data: FaultRule }
  | { type: 'fault.removed'; data: { id: string } }
  | { type: 'fault.cleared'; data?: unknown }
  | { type: 'fault.counted'; data: { id: string; hits: number; spent: boolean } }
  | { type: 'webhook.delivery'; data: WebhookDelivery };

/** A fault injection rule as the API lists it (SPEC §13). */
export interface FaultRule {
  id: string;
  protocol: Protocol;
  on: string;
  match?: Partial<Record<'to' | 'from' | 'subject' | 'user' | 'mailbox', string>>;
  action: 'reply' | 'disconnect' | 'delay' | 'throttle';
  reply?: string;
  delayMs?: number;
  bytesPerSecond?: number;
  partial?: boolean;
  times?: number;
  skip?: number;
  per?: string;
  probability?: number;
  seed?: number;
  hits: number;
  spent: boolean;
}

export type FaultRuleInput = Omit<FaultRule, 'id' | 'hits' | 'spent'>;

export interface FaultHit {
  ruleId: string;
  protocol: Protocol;
  on: string;
  sessionId: string;
}
