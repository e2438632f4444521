import { parseAddresses, type ParsedAddress, type ParsedMailbox } from '../../../mime/address-list.js';
import { decodeWords } from '../../../mime/header-params.js';
import { parseTopHeaderField } from '../../../mime/mime-tree.js';
import type { StoredMessage } from '../../../store/types.js';
import { detach } from '../../../shared/detach.js';

/** One searched field of one message: its values decoded and lower-cased, and for address fields their forms. */
interface FieldEntry {
  values: string[];
  /** Raw values, kept until the address forms are made from them. */
  raw: string[] | null;
  forms: string[] | null;
}

/** One message's searched header fields, by field name (only fields searched so far). */
type HeaderRecord = Map<string, FieldEntry>;

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
    return this.#field(message, field).values;
  }

  /**
   * The addresses as parsed (`<user (comment)@ (comment) domain.org>` is `user@domain.org`, which its header text
   * doesn't contain), lower-cased. Parsed from the raw text: decoding encoded words first could add commas and
   * quotes to a display name.
   */
  addressForms(message: StoredMessage, field: string): readonly string[] {
    const entry = this.#field(message, field);
    if (!entry.forms) {
      const forms: string[] = [];
      for (const value of entry.raw ?? []) {
        for (const a of parseAddressesFast(value)) {
          if (a.kind === 'group') forms.push(detach(a.name.toLowerCase()), ...a.members.map(mailboxForm));
          else forms.push(mailboxForm(a));
        }
      }
      // Nearly always (`Ann Lee <ann@x.test>`, `ann@x.test`) the forms are the values themselves: keep one array.
      entry.forms = sameStrings(forms, entry.values) ? entry.values : forms;
      entry.raw = null;
    }
    return entry.forms;
  }

  /** One read of the header block per field asked for; the raw values are kept only until forms are made. */
  #field(message: StoredMessage, field: string): FieldEntry {
    let record = this.#records.get(message);
    if (!record) {
      record = new Map();
      this.#records.set(message, record);
    }
    let entry = record.get(field);
    if (!entry) {
      // parseTopHeaderField's values are cut from their own field's text (or copied), never from the whole header
      // block, so keeping them (or a lower-cased form of them) keeps no more than the field alive.
      const raw = parseTopHeaderField(message.raw, field).map((f) => f.value);
      entry = { values: raw.map((v) => decodeWords(v).toLowerCase()), raw: addressFields.has(field) ? raw : null, forms: addressFields.has(field) ? null : [] };
      record.set(field, entry);
    }
    return entry;
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const addressFields = new Set(['from', 'to', 'cc', 'bcc', 'sender', 'reply-to']);

/**
 * `local@domain` or `Plain Name <local@domain>`, the shape of nearly all test mail, read without the tokenizer;
 * anything else (quotes, comments, encoded words, groups, several addresses) goes through parseAddresses.
 * Gives what parseAddresses gives for these shapes (test/unit/imap-header-fields.test.ts compares the two).
 */
const simpleAddress = /^[ \t]*(?:([A-Za-z0-9_'+-]+(?:[ \t]+[A-Za-z0-9_'+-]+)*)[ \t]*)?<([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t]*$|^[ \t]*([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)[ \t]*$/;

export function parseAddressesFast(value: string): ParsedAddress[] {
  const m = simpleAddress.exec(value);
  if (!m) return parseAddresses(value);
  if (m[2] !== undefined) return [{ kind: 'mailbox', name: m[1] === undefined ? null : m[1].split(/[ \t]+/).join(' '), route: null, mailbox: m[2], host: m[3] }];
  return [{ kind: 'mailbox', name: null, route: null, mailbox: m[4], host: m[5] }];
}


function mailboxForm(m: ParsedMailbox): string {
  const address = m.host === null ? m.mailbox : `${m.mailbox}@${m.host}`;
  return detach((m.name ? `${decodeWords(m.name)} <${address}>` : address).toLowerCase());
}
