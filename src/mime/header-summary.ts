import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';
import type { Address, HeaderSummary } from '../store/types.js';
// A summary built from slices would keep each message's whole header block alive (see detach).
import { detach } from '../shared/detach.js';
import { topHeaderFieldSpans } from './mime-tree.js';

/** Headers bigger than this are not read for the summary (a hostile message can't make ingest slow). */
const maxHeaderBytes = 256 * 1024;

/** Byte offset where the body starts (after the blank line), or raw.length when there is no body. */
export function findBodyStart(raw: Buffer): number {
  const crlf = raw.indexOf(crlfCrlf);
  // A bare-LF blank line counts only before the CRLF one: searched up to it, not through a CRLF message's whole body.
  const lf = (crlf >= 0 ? raw.subarray(0, crlf + 2) : raw).indexOf(lfLf);
  if (lf >= 0) return lf + 2;
  if (crlf >= 0) return crlf + 4;
  return raw.length;
}

const crlfCrlf = Buffer.from('\r\n\r\n');
const lfLf = Buffer.from('\n\n');

/** Unfolded header fields, names lower-cased, in order. Values are raw (encoded words not decoded). */
export function parseHeaderFields(header: string): Array<[name: string, value: string]> {
  const out: Array<[string, string]> = [];
  for (const line of header.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

function decode(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/**
 * The two shapes nearly all test mail uses — `a@b.test` and `Ann Lee <a@b.test>` in plain ASCII, one address, no
 * quotes, comments, groups or encoded words — for which nodemailer's general parser (~40 % of the header summary's
 * cost at ingest) gives exactly this result. Anything else goes through it.
 */
const plainAddress = /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+)$/;
const namedAddress = /^([A-Za-z0-9][A-Za-z0-9 _-]*[A-Za-z0-9]|[A-Za-z0-9]) +<([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+)>$/;

export function parseAddressList(value: string | undefined): Address[] {
  if (!value) return [];
  const plain = plainAddress.exec(value);
  if (plain) return [{ name: '', address: plain[1] }];
  const named = namedAddress.exec(value);
  if (named) return [{ name: named[1], address: named[2] }];
  const list = addressparser(value, { flatten: true }) as Array<{ name?: string; address?: string }>;
  return list
    .filter((a) => a.address || a.name)
    .map((a) => ({ name: decode(a.name ?? ''), address: a.address ?? '' }));
}

const attachmentPattern = /^content-disposition:[ \t]*attachment/im;

/**
 * The summary fields of SPEC §8, taken from the header block only — no MIME parse, so ingest stays cheap.
 * `hasAttachments` looks for a part declared `Content-Disposition: attachment`.
 */
export function summarizeHeaders(raw: Buffer, strings?: StringPool): HeaderSummary {
  const own = strings ? (s: string) => strings.intern(s) : detach;
  const ownAddress = (a: Address): Address => ({ name: own(a.name), address: own(a.address) });
  const bodyStart = findBodyStart(raw);
  const header = raw.subarray(0, Math.min(bodyStart, maxHeaderBytes)).toString('utf8');
  const fields = new Map<string, string>();
  for (const [name, value] of parseHeaderFields(header)) if (!fields.has(name)) fields.set(name, value);
  const dateValue = fields.get('date');
  const date = dateValue ? new Date(dateValue) : null;
  const contentType = fields.get('content-type') ?? '';
  const isMultipart = /^\s*multipart\//i.test(contentType);
  const hasAttachments =
    attachmentPattern.test(header) || (isMultipart && attachmentPattern.test(raw.subarray(bodyStart).toString('latin1')));
  const from = parseAddressList(fields.get('from'))[0];
  return {
    messageId: detach((fields.get('message-id') ?? '').replace(/^<|>$/g, '')),
    from: from ? ownAddress(from) : null,
    to: parseAddressList(fields.get('to')).map(ownAddress),
    cc: parseAddressList(fields.get('cc')).map(ownAddress),
    subject: detach(decode(fields.get('subject') ?? '')),
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    hasAttachments,
  };
}


/**
 * `summarizeHeaders(raw).subject` without the rest of the summary: a byte scan for the first Subject field. SORT
 * (SUBJECT) over messages nobody has listed yet (the in-memory store summarizes on first read) then parses no
 * addresses and dates it does not need.
 */
export function headerSubject(raw: Buffer): string {
  const value = firstFieldValue(raw, 'subject');
  return value === null ? summarizeHeaders(raw).subject : detach(decode(value));
}

/** The first top-level field `name`'s value as the summary reads it (unfolded, trimmed; '' when absent), or null
 * when only the full parse can tell. */
function firstFieldValue(raw: Buffer, name: string): string | null {
  const header = raw.subarray(0, Math.min(findBodyStart(raw), maxHeaderBytes));
  const spans = topHeaderFieldSpans(header, name);
  if (spans === null) return null;
  if (spans.length === 0) return '';
  return header.toString('utf8', spans[1], spans[2]).replace(/\r?\n(?=[ \t])/g, '').trim();
}

/** Longer strings are not pooled: addresses are short, and the pool must not keep big strings of deleted mail alive. */
const maxPooledLength = 256;

/**
 * One copy of each recent string. Test mail comes from a few senders to a few recipients, and every message would
 * otherwise hold its own copies of the same addresses (in the envelope and the header summary): ~40 bytes each,
 * several per message. Bounded: past `capacity` distinct strings it starts afresh, so hostile input can't grow it.
 */
export class StringPool {
  readonly #strings = new Map<string, string>();

  constructor(readonly capacity = 4096) {}

  /** The pooled copy of `s`, or a copy detached from the text it was cut from (see `detach`), which is then pooled. */
  intern(s: string): string {
    if (s.length > maxPooledLength) return detach(s);
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    if (this.#strings.size >= this.capacity) this.#strings.clear();
    const copy = detach(s);
    this.#strings.set(copy, copy);
    return copy;
  }
}
