import { parseAddressesFast, type ParsedMailbox } from '../../../mime/address-list.js';
import { decodeWords } from '../../../mime/header-params.js';
import { parseTopHeaderField } from '../../../mime/mime-tree.js';
import type { StoredMessage } from '../../../store/types.js';
import { detach } from '../../../shared/detach.js';

/**
 * Per-server cache of the header fields SEARCH reads (FROM, TO, SUBJECT, HEADER x, SENT*), so a header search does
 * not parse every message's MIME structure: the header block is scanned once per field asked for, and only that
 * field's values are kept. Messages are immutable; entries go with the message (WeakMap).
 *
 * Kept small, because the first search over a folder just filled by a bulk APPEND makes one entry per message and
 * every object kept survives the next scavenge (copied at least once): per message and field one WeakMap entry, one
 * array and its lower-cased strings (about 100 bytes for a one-address From). An address field's forms are kept
 * apart only when they differ from its values, which is rare (`Ann Lee <ann@x.test>` and `ann@x.test` are both).
 */
export class HeaderFieldsCache {
  /** By field name: each message's values, RFC 2047 words decoded, lower-cased. */
  readonly #values = new Map<string, WeakMap<StoredMessage, readonly string[]>>();
  /** By field name: an address field's forms, only where they are not its values. */
  readonly #forms = new Map<string, WeakMap<StoredMessage, readonly string[]>>();

  /** Every value of `field` (lower-case name), RFC 2047 words decoded, lower-cased; `[]` when absent. */
  values(message: StoredMessage, field: string): readonly string[] {
    let byMessage = this.#values.get(field);
    if (!byMessage) this.#values.set(field, (byMessage = new WeakMap()));
    let values = byMessage.get(message);
    if (values === undefined) {
      values = this.#read(message, field);
      byMessage.set(message, values);
    }
    return values;
  }

  /** True when `values(message, field)` is already known (no scan needed). */
  has(message: StoredMessage, field: string): boolean {
    return this.#values.get(field)?.has(message) === true;
  }

  /** `has(message, field)` for one field over many messages: null while no message's `field` is known. */
  knownFor(field: string): { has(message: StoredMessage): boolean } | null {
    return this.#values.get(field) ?? null;
  }

  /**
   * The addresses as parsed (`<user (comment)@ (comment) domain.org>` is `user@domain.org`, which its header text
   * doesn't contain), lower-cased; the very array `values()` gives when they are the same text.
   */
  addressForms(message: StoredMessage, field: string): readonly string[] {
    const values = this.values(message, field);
    return this.#forms.get(field)?.get(message) ?? values;
  }

  /**
   * One scan of the header block. parseTopHeaderField's values are cut from their own field's text (or copied),
   * never from the whole header block, so keeping them (or a lower-cased form of them) keeps no more than that.
   * For an address field the forms are made now, from the raw text (decoding encoded words first could add commas
   * and quotes to a display name), and kept only if they differ.
   */
  #read(message: StoredMessage, field: string): readonly string[] {
    const raw = parseTopHeaderField(message.raw, field).map((f) => f.value);
    const values = raw.length === 0 ? noValues : raw.map((v) => decodeWords(v).toLowerCase());
    if (raw.length > 0 && addressFields.has(field)) {
      const forms: string[] = [];
      for (const value of raw) {
        for (const a of parseAddressesFast(value)) {
          if (a.kind === 'group') forms.push(detach(a.name.toLowerCase()), ...a.members.map(mailboxForm));
          else forms.push(mailboxForm(a));
        }
      }
      if (!sameStrings(forms, values)) {
        let byMessage = this.#forms.get(field);
        if (!byMessage) this.#forms.set(field, (byMessage = new WeakMap()));
        byMessage.set(message, forms);
      }
    }
    return values;
  }
}

const noValues: readonly string[] = Object.freeze([]);

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const addressFields = new Set(['from', 'to', 'cc', 'bcc', 'sender', 'reply-to']);

function mailboxForm(m: ParsedMailbox): string {
  const address = m.host === null ? m.mailbox : `${m.mailbox}@${m.host}`;
  return detach((m.name ? `${decodeWords(m.name)} <${address}>` : address).toLowerCase());
}
