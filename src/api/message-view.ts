import type { MessageStore } from '../store/message-store.js';
import type { StoredMessage } from '../store/types.js';
import { MessageDetailsCache } from '../mime/message-details.js';
import type { ParsedDetails } from '../mime/message-details.js';
import type { MailMessage, MessageDetails, MessageSummary } from './types.js';

/** The list shape of SPEC §8: header facts taken at ingest, no MIME parse. */
export function toSummary(store: MessageStore, m: StoredMessage): MessageSummary {
  return {
    id: m.id,
    messageId: m.summary.messageId,
    from: m.summary.from,
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
  };
}

/**
 * One parse cache per store. It hangs off the store instance (a WeakMap keyed by it) rather than living in a
 * module-level map of ids, so parallel sandboxes never share entries and a closed sandbox's cache is collected
 * with its store. Entries are dropped as soon as their message is deleted.
 */
const caches = new WeakMap<MessageStore, MessageDetailsCache>();

export function detailsCacheOf(store: MessageStore): MessageDetailsCache {
  let cache = caches.get(store);
  if (!cache) {
    const created = new MessageDetailsCache();
    store.on('message.deleted', (m) => created.delete(m.id));
    store.on('store.cleared', () => created.clear());
    caches.set(store, created);
    cache = created;
  }
  return cache;
}

/** The parsed bodies, attachments, links and codes of a message (parsed on first use, then cached). */
export function parsedDetails(store: MessageStore, m: StoredMessage): Promise<ParsedDetails> {
  return detailsCacheOf(store).get(m.id, m.raw, m.summary.subject);
}

/** The full message as `GET /api/v1/messages/:id` serves it (no raw bytes). */
export async function toMessageDetails(store: MessageStore, m: StoredMessage): Promise<MessageDetails> {
  const d = await parsedDetails(store, m);
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
export async function toMailMessage(store: MessageStore, m: StoredMessage): Promise<MailMessage> {
  return { ...(await toMessageDetails(store, m)), raw: m.raw };
}
