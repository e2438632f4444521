import type { MessageStore } from './message-store.js';
import type { StoredMessage } from './types.js';
import type { MessageDetailsCache } from '../mime/message-details.js';
import type { MailMessage, MessageDetails, MessageSummary } from './view-types.js';

/** The list shape of SPEC §8: header facts taken at ingest, no MIME parse. */
export function toSummary(store: MessageStore, m: StoredMessage): MessageSummary {
  return {
    id: m.id,
    messageId: m.summary.messageId,
    from: m.summary.from,
    envelopeFrom: m.envelope.mailFrom,
    to: m.summary.to,
    cc: m.summary.cc,
    subject: m.summary.subject,
    date: m.summary.date?.toISOString() ?? null,
    receivedAt: m.receivedAt.toISOString(),
    size: m.size,
    seen: store.isSeen(m),
    hasAttachments: m.summary.hasAttachments,
    mailboxes: store.mailboxesOf(m),
    source: m.source,
    tags: [...m.tags],
    relays: [...m.relays],
  };
}

/** The full message as `GET /api/v1/messages/:id` serves it (no raw bytes). */
export async function toMessageDetails(store: MessageStore, details: MessageDetailsCache, m: StoredMessage): Promise<MessageDetails> {
  const d = await details.get(m.id, m.raw, m.summary.subject);
  const flags = new Set<string>();
  for (const p of store.placementsOf(m)) for (const f of p.flags) flags.add(f);
  return {
    ...toSummary(store, m),
    headers: d.headers,
    bcc: d.bcc,
    replyTo: d.replyTo,
    text: d.text,
    html: d.html,
    attachments: d.attachments,
    envelope: m.envelope,
    flags: [...flags].sort(),
    links: d.links,
    codes: d.codes,
    connection: m.connection,
  };
}

/** What the library hands a test: the full message plus the exact bytes. */
export async function toMailMessage(store: MessageStore, details: MessageDetailsCache, m: StoredMessage): Promise<MailMessage> {
  return { ...(await toMessageDetails(store, details, m)), raw: m.raw };
}
