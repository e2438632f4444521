import type { Address, ConnectionInfo, Envelope, MessageSource, TranscriptLine } from '../store/types.js';
import type { Protocol } from '../store/session-log.js';

export type { Address, Envelope, MessageSource, TranscriptLine, ConnectionInfo };

/** A message in a list (SPEC §8): no bodies. Dates are ISO strings so the shape is the same in-process and over HTTP. */
export interface MessageSummary {
  id: string;
  messageId: string;
  from: Address | null;
  to: Address[];
  cc: Address[];
  subject: string;
  /** The Date header (ISO), or null. */
  date: string | null;
  receivedAt: string;
  size: number;
  seen: boolean;
  hasAttachments: boolean;
  /** Lower-cased addresses of the mailboxes holding it. */
  mailboxes: string[];
  source: MessageSource;
}

export interface AttachmentInfo {
  /** Position in `attachments`, used by `GET /api/v1/messages/:id/attachments/:n`. */
  index: number;
  filename: string | null;
  contentType: string;
  size: number;
  contentId: string | null;
  disposition: string | null;
}

/** The full parsed message over HTTP (`GET /api/v1/messages/:id`). */
export interface MessageDetails extends MessageSummary {
  /** Header fields in order, names as written; values decoded. */
  headers: Array<{ name: string; value: string }>;
  bcc: Address[];
  replyTo: Address[];
  text: string | null;
  html: string | null;
  attachments: AttachmentInfo[];
  envelope: Envelope;
  /** Union of the IMAP flags of all placements. */
  flags: string[];
  /** URLs found in the HTML hrefs and the text, in order of appearance, unique. */
  links: string[];
  /** Likely one-time codes (4–8 digit or alphanumeric tokens near "code", "OTP", "verification", ...). */
  codes: string[];
  connection: ConnectionInfo;
}

/** What the library hands a test: the full message plus the exact bytes. */
export interface MailMessage extends MessageDetails {
  raw: Buffer;
}

// The filter lives with the query language (store/ must not import api/); re-exported here for the public surface.
export type { MessageFilter, TextMatch } from '../store/query.js';

export interface WaitOptions {
  /** ms; default 30 s, at most 300 s. */
  timeout?: number;
  /** How many matching messages to wait for (default 1). `waitForMessages` resolves with all of them. */
  count?: number;
  /**
   * Only messages that arrived after this point: `'start'` (everything already stored counts), a message id,
   * or a Date. Default: the moment of the call.
   */
  since?: 'start' | string | Date;
  /** Aborting rejects the wait at once and releases its slot. */
  signal?: AbortSignal;
}

export interface ListOptions {
  limit?: number;
  offset?: number;
}

export interface DeliverOptions {
  /** The mailbox address to place it in. */
  to: string | string[];
  /** Default INBOX. */
  folder?: string;
  /** IMAP flags, e.g. `['\\Seen']`. */
  flags?: string[];
  /** Envelope sender recorded with the message. */
  from?: string;
}

/** A protocol session as `GET /api/v1/sessions` lists it (the lines are in `GET /api/v1/sessions/:id`). */
export interface SessionSummary {
  id: string;
  protocol: Protocol;
  startedAt: string;
  endedAt: string | null;
  remoteAddress: string;
  localPort: number;
  tls: boolean;
  user: string | null;
  lineCount: number;
  droppedLines: number;
}
