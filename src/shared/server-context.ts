import type { ListenerName, SandboxConfig } from '../config.js';
import type { MessageStore } from '../store/message-store.js';
import type { SessionLog } from '../store/session-log.js';
import type { Credentials } from './credentials.js';
import type { Logger } from './logger.js';
import type { TlsMaterial } from './tls.js';

/** What every protocol server and the HTTP server are given; one per sandbox (no module-level state). */
export interface ServerContext {
  readonly config: SandboxConfig;
  readonly store: MessageStore;
  readonly sessions: SessionLog;
  readonly tls: TlsMaterial;
  readonly credentials: Credentials;
  readonly logger: Logger;
}

export interface ListenOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Implicit TLS (SMTPS, POP3S, IMAPS). */
  secure: boolean;
}

/** A listening server. `close()` stops accepting, ends sessions (bounded) and resolves when closed. */
export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

export type TlsMode = 'starttls' | 'implicit' | 'none';

export interface ListenerInfo {
  name: ListenerName;
  port: number;
  tls: TlsMode;
  url: string;
}

/** `GET /api/v1/info`. */
export interface SandboxInfo {
  name: 'mailsandbox';
  version: string;
  startedAt: string;
  host: string;
  listeners: ListenerInfo[];
  counts: { messages: number; mailboxes: number; received: number; evicted: number; sessions: number };
  limits: Record<string, number>;
  maxMessageSize: number;
  maxMessages: number;
  smtpAuth: string;
  tlsSelfSigned: boolean;
}
