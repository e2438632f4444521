import { findBodyStart } from '../../../mime/header-summary.js';
import type { StoredMessage } from '../../../store/types.js';
import { subjectOf } from '../../../store/stored-records.js';
import { parseAddressesFast } from '../../../mime/address-list.js';
import { decodeWords } from '../../../mime/header-params.js';
import { baseSubject, casemap, type BaseSubject } from './base-subject.js';

/** What SORT and THREAD read from a message, derived once (messages are immutable). */
export interface SortFacts {
  subject: BaseSubject;
  /** Message-ID without brackets, or null when missing or unreadable. */
  messageId: string | null;
  /** References ids in order, or the first In-Reply-To id when there is no References (RFC 5256 §4). */
  references: string[];
  /** The first From/To/Cc field as written; its SORT key is derived on first use (THREAD never needs it). */
  addressFields: Record<AddressField, string | null>;
  addressKeys: Partial<Record<AddressField, string>>;
  /** False while only `subject` is known (the fields above are then not read yet). */
  hasHeaders: boolean;
}

export type AddressField = 'from' | 'to' | 'cc';

/** Header blocks beyond this are not read for threading (a hostile message can't make THREAD slow). */
const maxHeaderBytes = 64 * 1024;
const msgIdPattern = /<([^<>\s]+)>/g;
const wantedFields = /^(message-id|references|in-reply-to|from|to|cc)[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/gim;

function ids(value: string | undefined): string[] {
  return value ? [...value.matchAll(msgIdPattern)].map((m) => m[1]) : [];
}

/**
 * Per-server cache of SortFacts. Only the header block is read (no MIME parse): a cold THREAD over 10,000
 * messages must not parse every body structure.
 */
export class SortFactsCache {
  readonly #facts = new WeakMap<StoredMessage, SortFacts>();

  /** SORT FROM/TO/CC: the addr-mailbox of the first address (a group's name for a group), as in ENVELOPE. */
  addressKey(message: StoredMessage, field: AddressField): string {
    const facts = this.of(message);
    return (facts.addressKeys[field] ??= addrMailbox(facts.addressFields[field] ?? ''));
  }

  /**
   * The base subject alone: it comes from the stored header summary (or, in memory before there is one, a scan for
   * the Subject line), so SORT (SUBJECT) and THREAD ORDEREDSUBJECT read no other header field. The same record
   * later gets the header facts if THREAD REFERENCES asks.
   */
  subject(message: StoredMessage): BaseSubject {
    let facts = this.#facts.get(message);
    if (!facts) {
      facts = { subject: baseSubject(subjectOf(message)), messageId: null, references: [], addressFields: { from: null, to: null, cc: null }, addressKeys: {}, hasHeaders: false };
      this.#facts.set(message, facts);
    }
    return facts.subject;
  }

  of(message: StoredMessage): SortFacts {
    let facts = this.#facts.get(message);
    if (!facts) {
      this.subject(message);
      facts = this.#facts.get(message)!;
    }
    if (!facts.hasHeaders) readHeaders(message, facts);
    return facts;
  }
}

function readHeaders(message: StoredMessage, facts: SortFacts): void {
  const raw = message.raw;
  const header = raw.subarray(0, Math.min(findBodyStart(raw), maxHeaderBytes)).toString('utf8');
  let messageId: string | null = null;
  let references: string[] | null = null;
  let inReplyTo: string[] | null = null;
  const addr: Record<AddressField, string | null> = { from: null, to: null, cc: null };
  // One pass for the six fields wanted (with their folded lines), instead of splitting the whole header block.
  for (const m of header.matchAll(wantedFields)) {
    const name = m[1].toLowerCase();
    const value = m[2].replace(/\r?\n(?=[ \t])/g, '').trim();
    if ((name === 'from' || name === 'to' || name === 'cc') && addr[name] === null) addr[name] = value;
    if (name === 'message-id' && messageId === null) messageId = ids(value)[0] ?? null;
    else if (name === 'references') references = [...(references ?? []), ...ids(value)];
    else if (name === 'in-reply-to' && inReplyTo === null) inReplyTo = ids(value).slice(0, 1);
  }
  facts.messageId = messageId;
  facts.references = references?.length ? references : (inReplyTo ?? []);
  facts.addressFields = addr;
  facts.hasHeaders = true;
}

function addrMailbox(value: string): string {
  const first = parseAddressesFast(value)[0];
  if (!first) return '';
  return casemap(first.kind === 'group' ? decodeWords(first.name) : first.mailbox);
}
