import type { Address, ConnectionInfo, Envelope, MessageSource, TranscriptLine } from '../store/types.js';

export type { Address, Envelope, MessageSource, TranscriptLine, ConnectionInfo };
export type { MessageSummary, AttachmentInfo, MessageDetails, MailMessage, SessionSummary } from '../store/view-types.js';

// The filter lives with the query language (store/ must not import api/); re-exported here for the public surface.
export type { MessageFilter, TextMatch } from '../store/query.js';

export interface WaitOptions {
  /** ms; default 30 s, at most 300 s. */
  timeout?: number;
  /** How many matching messages to wait for (default 1). `waitForMessages` resolves with all of them. */
  count?: number;
  /**
   * Only messages that arrived after this point: `'start'` (everything already stored counts), a message id,
   * or a Date (mail received in that very millisecond counts too). Default: the moment of the call.
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

