import { Readable } from 'node:stream';
import libmime from 'libmime';
import type { AddressObject, Attachment, ParsedMail } from 'mailparser';
import type { AttachmentInfo } from '../store/view-types.js';
import type { Address } from '../store/types.js';
import { extractCodes, extractLinks } from './links-codes.js';
import { htmlToReadableTextAsync } from './readable-text.js';

/** What a full MIME parse gives; computed on demand (never at ingest) and cached by {@link MessageDetailsCache}. */
export interface ParsedDetails {
  /** Header fields in order, names as written, values unfolded and with encoded words decoded. */
  headers: Array<{ name: string; value: string }>;
  bcc: Address[];
  replyTo: Address[];
  text: string | null;
  html: string | null;
  attachments: AttachmentInfo[];
  links: string[];
  codes: string[];
  /** The decoded content of attachment `index`, or undefined. */
  attachmentContent(index: number): Buffer | undefined;
}

/** How the cache gets a message parsed: in the sandbox, through its worker pool (`ParsePool`). */
export type DetailsParser = (raw: Buffer, subject: string) => Promise<ParsedDetails>;

/**
 * Parses a message with mailparser on the calling thread (the parse pool's worker runs this). Never throws: an
 * unparseable message gives empty bodies.
 */
export async function parseMessageDetails(raw: Buffer, subject = ''): Promise<ParsedDetails> {
  let mail: ParsedMail;
  try {
    // Loaded on the first full parse, not at start-up: mailparser and its dependencies are ~12 MiB of a sandbox that
    // may never be asked for a parsed message (a CI run that only counts mail).
    const { simpleParser } = await import('mailparser');
    // mailparser's own HTML-to-text is superlinear (a 1 MB table blocked the process for 10 s); ours is linear.
    mail = await simpleParser(inSlices(raw), { skipTextToHtml: true, skipHtmlToText: true });
  } catch {
    return emptyDetails(raw);
  }
  const html = typeof mail.html === 'string' ? mail.html : null;
  const fromHtml = !hasText(mail) && html !== null;
  const text = fromHtml ? await htmlToReadableTextAsync(html) : typeof mail.text === 'string' ? mail.text : null;
  const contents = mail.attachments.map((a) => a.content);
  // Each step below is bounded but not free on hostile input: the event loop gets a turn between them.
  await nextTurn();
  const links = extractLinks(text, html);
  await nextTurn();
  // Text made from the HTML already holds the HTML's words: scanning the HTML again would double the work.
  const codes = extractCodes(`${subject}\n${text ?? ''}`, fromHtml ? null : html);
  return {
    headers: mail.headerLines.map((h) => splitHeaderLine(h.line)),
    bcc: addresses(mail.bcc),
    replyTo: addresses(mail.replyTo),
    text,
    html,
    attachments: mail.attachments.map(toMeta),
    links,
    codes,
    attachmentContent: (index) => contents[index],
  };
}

function hasText(mail: ParsedMail): boolean {
  return typeof mail.text === 'string' && mail.text.trim() !== '';
}

/** Bytes mailparser is given at a time: it parses each chunk in one go, so a 25 MiB write would block for seconds. */
const parseSliceBytes = 64 * 1024;

/** `raw` as a stream of slices with an event-loop turn between them (SPEC §10 event-loop budget). */
function inSlices(raw: Buffer): Readable {
  return Readable.from(
    (async function* slices() {
      for (let at = 0; at < raw.length; at += parseSliceBytes) {
        if (at > 0) await nextTurn();
        yield raw.subarray(at, at + parseSliceBytes);
      }
    })(),
    { objectMode: false },
  );
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a message that could not be parsed shows: its bytes as text, nothing else. */
export function emptyDetails(raw: Buffer): ParsedDetails {
  return { headers: [], bcc: [], replyTo: [], text: raw.toString('utf8'), html: null, attachments: [], links: [], codes: [], attachmentContent: () => undefined };
}

function splitHeaderLine(line: string): { name: string; value: string } {
  const colon = line.indexOf(':');
  const name = colon < 0 ? line : line.slice(0, colon);
  const value = colon < 0 ? '' : line.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
  let decoded = value;
  try {
    decoded = libmime.decodeWords(value);
  } catch {
    // A malformed encoded word: show the value as written.
  }
  return { name: name.trim(), value: decoded };
}

function addresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const out: Address[] = [];
  const walk = (entries: AddressObject['value']) => {
    for (const e of entries) {
      if (e.group) walk(e.group);
      else out.push({ name: e.name ?? '', address: e.address ?? '' });
    }
  };
  for (const f of list) walk(f.value);
  return out;
}

function toMeta(a: Attachment, index: number): AttachmentInfo {
  return {
    index,
    filename: a.filename ?? null,
    contentType: a.contentType || 'application/octet-stream',
    size: a.content.length,
    contentId: a.contentId ? a.contentId.replace(/^<|>$/g, '') : null,
    disposition: a.contentDisposition ?? null,
  };
}

/**
 * A small LRU of parsed messages keyed by message id, bounded by entries and by the bytes of the messages held
 * (a parse keeps decoded attachments, so 200 large messages could otherwise pin gigabytes).
 */
export class MessageDetailsCache {
  readonly #entries = new Map<string, { promise: Promise<ParsedDetails>; weight: number }>();
  #weight = 0;

  constructor(
    readonly maxEntries = 200,
    readonly maxBytes = 64 * 1024 * 1024,
    readonly parse: DetailsParser = parseMessageDetails,
  ) {}

  get(id: string, raw: Buffer, subject: string): Promise<ParsedDetails> {
    const hit = this.#entries.get(id);
    if (hit) {
      // Re-insert: a Map iterates in insertion order, so the first key is always the least recently used.
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      return hit.promise;
    }
    const entry = { promise: this.parse(raw, subject), weight: raw.length };
    this.#entries.set(id, entry);
    this.#weight += entry.weight;
    this.#evict();
    return entry.promise;
  }

  delete(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#weight -= entry.weight;
  }

  clear(): void {
    this.#entries.clear();
    this.#weight = 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  #evict(): void {
    for (const id of this.#entries.keys()) {
      // Always keep the newest entry, however large: the caller is awaiting it.
      if (this.#entries.size <= 1 || (this.#entries.size <= this.maxEntries && this.#weight <= this.maxBytes)) return;
      this.delete(id);
    }
  }
}
