import { MimeCache } from '../mime/mime-cache.js';
import { SortFactsCache } from './commands/sort/sort-facts.js';
import { HeaderFieldsCache } from './commands/search/header-fields.js';
import type { StoredMessage } from '../store/types.js';

export type FormattedItem = 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE';

/**
 * Per-server caches for FETCH and SEARCH: parsed MIME trees and search text (MimeCache), and the wire form of
 * ENVELOPE, BODY and BODYSTRUCTURE. Messages are immutable, so nothing goes stale; WeakMaps let entries go with
 * the message. Formatting these per FETCH was most of the cost of a 10,000-message header sync.
 */
export class MessageCache {
  readonly mime = new MimeCache();
  /** Base subject, Message-ID and references for SORT and THREAD. */
  readonly sortFacts = new SortFactsCache();
  /** Searched header fields, decoded and lower-cased (SEARCH FROM/SUBJECT/HEADER without a MIME parse). */
  readonly headers = new HeaderFieldsCache();
  readonly #formatted = new WeakMap<StoredMessage, Partial<Record<FormattedItem, string | Buffer>>>();

  /** The item's wire form: text (7-bit, no literal), or bytes when it holds a literal (see formatImapText). */
  formatted(message: StoredMessage, item: FormattedItem, make: () => string | Buffer): string | Buffer {
    let entry = this.#formatted.get(message);
    if (!entry) {
      entry = {};
      this.#formatted.set(message, entry);
    }
    return (entry[item] ??= make());
  }
}
