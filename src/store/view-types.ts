import type { Address, ConnectionInfo, Envelope, MessageSource, RelayRecord } from './types.js';
import type { Protocol } from './session-log.js';

// The read-model shapes served by HTTP and handed out by the library; the same in-process and over the wire.

/** A message in a list (SPEC §8): no bodies. Dates are ISO strings so the shape is the same in-process and over HTTP. */
export interface MessageSummary {
  id: string;
  messageId: string;
  from: Address | null;
  /** The envelope sender (SMTP `MAIL FROM`); '' for the null sender `<>` or when none was recorded. */
  envelopeFrom: string;
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
  /** Labels (SPEC §15), case kept; compared case-insensitively. */
  tags: string[];
  /** Releases to the relay (`POST .../release`, `--relay-auto`), oldest first; empty when never relayed. */
  relays: RelayRecord[];
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
