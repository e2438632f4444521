import type { MessageStore } from '../store/message-store.js';
import type { StoredMessage } from '../store/types.js';
import type { MailMessage, MessageSummary } from './types.js';

// PLACEHOLDER: summary and full parse (mailparser, links, codes) go here.
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

export async function toMailMessage(store: MessageStore, m: StoredMessage): Promise<MailMessage> {
  return { ...toSummary(store, m), headers: [], bcc: [], replyTo: [], text: null, html: null, attachments: [], envelope: m.envelope, flags: [], links: [], codes: [], connection: m.connection, raw: m.raw };
}
