import { parseAddresses, type ParsedMailbox } from '../../../mime/address-list.js';
import { decodeWords } from '../../../mime/header-params.js';
import { parseTopHeaders, type MimeHeaderField } from '../../../mime/mime-tree.js';
import type { StoredMessage } from '../../../store/types.js';

/** One message's searched header fields, lower-cased and decoded, by field name (only fields searched so far). */
interface HeaderRecord {
  values: Map<string, string[]>;
  /** Address fields: each mailbox as `name <local@domain>` (or `local@domain`), a group as its name and members. */
  forms: Map<string, string[]>;
}

/**
 * Per-server cache of the header fields SEARCH reads (FROM, TO, SUBJECT, HEADER x, SENT*), so a header search does
 * not parse every message's MIME structure: the header block is read once per field asked for, and only that
 * field's values are kept (a compact record per message, not the parsed header block). Messages are immutable;
 * entries go with the message (WeakMap).
 */
export class HeaderFieldsCache {
  readonly #records = new WeakMap<StoredMessage, HeaderRecord>();

  /** Every value of `field` (lower-case name), RFC 2047 words decoded, lower-cased; `[]` when absent. */
  values(message: StoredMessage, field: string): readonly string[] {
    const record = this.#record(message);
    let values = record.values.get(field);
    if (!values) {
      values = fieldsOf(message, field).map((f) => decodeWords(f.value).toLowerCase());
      record.values.set(field, values);
    }
    return values;
  }

  /**
   * The addresses as parsed (`<user (comment)@ (comment) domain.org>` is `user@domain.org`, which its header text
   * doesn't contain), lower-cased. Parsed from the raw text: decoding encoded words first could add commas and
   * quotes to a display name.
   */
  addressForms(message: StoredMessage, field: string): readonly string[] {
    const record = this.#record(message);
    let forms = record.forms.get(field);
    if (!forms) {
      forms = [];
      for (const header of fieldsOf(message, field)) {
        for (const a of parseAddresses(header.value)) {
          if (a.kind === 'group') forms.push(a.name.toLowerCase(), ...a.members.map(mailboxForm));
          else forms.push(mailboxForm(a));
        }
      }
      record.forms.set(field, forms);
    }
    return forms;
  }

  #record(message: StoredMessage): HeaderRecord {
    let record = this.#records.get(message);
    if (!record) {
      record = { values: new Map(), forms: new Map() };
      this.#records.set(message, record);
    }
    return record;
  }
}

function fieldsOf(message: StoredMessage, field: string): MimeHeaderField[] {
  return parseTopHeaders(message.raw).filter((f) => f.name === field);
}

function mailboxForm(m: ParsedMailbox): string {
  const address = m.host === null ? m.mailbox : `${m.mailbox}@${m.host}`;
  return (m.name ? `${decodeWords(m.name)} <${address}>` : address).toLowerCase();
}
