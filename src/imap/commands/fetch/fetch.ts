import type { MessageCache } from '../../message-cache.js';
import { bodyStructureOf } from '../../../mime/body-structure.js';
import { envelopeOf } from '../../../mime/envelope.js';
import { findPart, partialBytes, sectionBytes } from '../../../mime/section.js';
import { decodeQuotedPrintable, transferDecode } from '../../../mime/searchable-text.js';
import type { MimeNode } from '../../../mime/mime-tree.js';
import { binaryEntity } from '../../../mime/binary-parts.js';
import type { Placement } from '../../../store/types.js';
import { bad, no } from '../../imap-error.js';
import { enableCondstore, isCondstoreOn, isQresyncOn, toModseq, vanishedEarlier } from '../../condstore.js';
import type { MailboxView, ViewEntry } from '../../mailbox-view.js';
import { expectArgCount, getSequenceSet, toKeyword } from '../../wire/args.js';
import type { Token } from '../../wire/tokenizer.js';
import { formatFlags, formatImapValue, formatInternalDate } from '../../wire/encoder.js';
import { defineCommand, ok, selected } from '../define.js';
import type { ImapSession } from '../../session.js';
import { parseFetchItems, setsSeen, type FetchItem } from './fetch-items.js';

/**
 * FETCH sequence-set (item ... | macro) — RFC 3501 §6.4.5; UID FETCH — §6.4.8.
 * Each response is built as Buffers (message bytes go as literals, never through strings) and sent through the
 * session's chunked writer, which waits for the socket to drain: a 10,000-message BODY[] fetch streams.
 */
export const fetch = defineCommand({
  names: ['FETCH', 'UID FETCH'],
  states: selected,
  usesSequenceNumbers: true,
  parseArgs(args, ctx) {
    expectArgCount(args, 2, 3);
    const modifiers = parseFetchModifiers(args[2], ctx.isUid);
    const items = parseFetchItems(args[1], ctx.isUid);
    // CHANGEDSINCE implies MODSEQ (RFC 7162 §3.1.4.1).
    if (modifiers.changedSince !== null && !items.some((i) => i.kind === 'MODSEQ')) items.push({ kind: 'MODSEQ' });
    return { set: getSequenceSet(args, 0), items, ...modifiers };
  },
  async run(ctx, { set, items, changedSince, vanished }) {
    const view = ctx.session.view;
    if (!view) throw no('No folder selected');
    if (vanished && !isQresyncOn(ctx.session)) throw bad('VANISHED needs QRESYNC enabled first (ENABLE QRESYNC)');
    if (items.some((i) => i.kind === 'MODSEQ')) await enableCondstore(ctx);
    const markSeen = setsSeen(items) && !view.isReadOnly;
    const cache = ctx.session.cache;
    if (vanished && changedSince !== null) {
      const line = vanishedEarlier(view.folder, changedSince, set);
      if (line) await ctx.session.untagged(line);
    }
    // With CONDSTORE on, a FETCH that sets \Seen reports the new MODSEQ with the new FLAGS (RFC 7162 §3.1.4).
    const withModseq = isCondstoreOn(ctx.session) && !items.some((i) => i.kind === 'MODSEQ') ? [...items, { kind: 'MODSEQ' } as FetchItem] : items;
    const hasFlags = items.some((i) => i.kind === 'FLAGS');
    // UID/FLAGS/INTERNALDATE/RFC822.SIZE/MODSEQ only (a flag sync): each response is one short line of text.
    const isTextOnly = items.every((i) => textItems.has(i.kind));
    const out = new FetchBatch(ctx.session);
    // Indices, not an entry object per message: a flag sync over 10,000 messages allocates next to nothing.
    walk: for (const [lo, hi] of view.resolveRanges(set, ctx.isUid)) {
      // A flag sync (text-only items never set \Seen): a batch of lines at a time, each by a loop of its own.
      if (isTextOnly) {
        for (let i = lo; i <= hi; ) {
          // A client that hung up mid-FETCH must not make the server render the rest of the folder.
          if (ctx.session.isClosed) break walk;
          i = textBatch(view, items, i, hi, changedSince, hasFlags, out);
          await out.flush();
        }
        continue;
      }
      for (let i = lo; i <= hi; i++) {
        if (ctx.session.isClosed) break walk;
        const p = view.placementAt(i);
        if (changedSince !== null && p.modseq <= changedSince) continue;
        // Setting \Seen through the store makes the API and UI show it as read; the FLAGS go in this response.
        const isNewlySeen = markSeen && !view.isGone(p) && ctx.server.store.setFlags([p], ['\\Seen'], 'add', ctx.session).length > 0;
        if ((isNewlySeen || hasFlags) && hasKeyword(p.flags)) {
          for (const line of view.announceKeywords(p.flags)) out.line(`* ${line}\r\n`);
        }
        const entry = { seq: i + 1, placement: p };
        const { bytes, summary } = renderFetch(entry, isNewlySeen ? withModseq : items, view, cache, isNewlySeen);
        out.buffers(bytes, out.isTranscriptFull ? `* ${entry.seq} FETCH` : summary());
        if (out.isDue) await out.flush();
      }
    }
    await out.flush();
    return ok(`${ctx.name} completed`);
  },
});

/** True when a flag is a keyword (only those may need announcing); no iterator object for an empty set. */
function hasKeyword(flags: ReadonlySet<string>): boolean {
  if (flags.size === 0) return false;
  for (const f of flags) if (!f.startsWith('\\')) return true;
  return false;
}

const textItems = new Set<FetchItem['kind']>(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'MODSEQ']);

/** Text gathered before it is turned into bytes (one Buffer per batch, not several per message). */
const batchChars = 32 * 1024;

/**
 * FETCH responses gathered in batches: short text lines are concatenated and become one Buffer, message bytes
 * are queued as they are, and the transcript gets one call per batch (splitting it into lines as before), or once
 * it is full only a count. A 10,000-message `FETCH 1:* (FLAGS)` was 10,000 sends with several small Buffers and a
 * transcript call each.
 */
class FetchBatch {
  /** Whole response lines (CRLF included) not yet turned into a chunk. */
  #text = '';
  #chunks: Buffer[] = [];
  #bytes = 0;
  #transcript: string[] = [];
  /** Lines sent while the transcript was full (counted, not kept). */
  #dropped = 0;
  /** Read once per batch: once the transcript is full, lines are only counted (their text is not kept). */
  isTranscriptFull: boolean;

  constructor(readonly session: ImapSession) {
    this.isTranscriptFull = session.isTranscriptFull;
  }

  /** `n` whole response lines (CRLF included) as one string: one append, and a split only for a transcript with room. */
  lines(text: string, n: number): void {
    if (n === 0) return;
    this.#text += text;
    if (this.isTranscriptFull) this.#dropped += n;
    else for (const line of text.slice(0, -2).split('\r\n')) this.#transcript.push(line);
  }

  /** A whole response line (CRLF included), shown in the transcript as it is. */
  line(text: string): void {
    this.#text += text;
    if (this.isTranscriptFull) this.#dropped++;
    else this.#transcript.push(text.slice(0, -2));
  }

  /** A response built as Buffers (literals, cached ENVELOPE/BODYSTRUCTURE); `shown` is its transcript form. */
  buffers(bytes: readonly Buffer[], shown: string): void {
    this.#endText();
    for (const b of bytes) {
      this.#chunks.push(b);
      this.#bytes += b.length;
    }
    if (this.isTranscriptFull) this.#dropped++;
    else this.#transcript.push(shown);
  }

  get isDue(): boolean {
    return this.#text.length >= batchChars || this.#bytes >= batchChars;
  }

  async flush(): Promise<void> {
    this.#endText();
    if (this.#chunks.length === 0) return;
    const chunks = this.#chunks;
    const transcript = this.#transcript;
    const dropped = this.#dropped;
    this.#dropped = 0;
    this.#chunks = [];
    this.#bytes = 0;
    this.#transcript = [];
    // Once the transcript is full its lines are only counted.
    if (transcript.length === 0) await this.session.sendUnrecorded(chunks, dropped);
    else await this.session.send(chunks, dropped > 0 ? [...transcript, '*' + '\n*'.repeat(dropped - 1)].join('\n') : transcript.join('\n'));
    this.isTranscriptFull = this.session.isTranscriptFull;
  }

  /**
   * The text gathered so far becomes a chunk: one native conversion per batch, not a write per line. Into a Buffer
   * of its own, written in place: `Buffer.from` of a 32 KiB string cost several times as much (~40 µs).
   */
  #endText(): void {
    const text = this.#text;
    if (text.length === 0) return;
    const b = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
    b.write(text, 0, 'utf8');
    this.#text = '';
    this.#chunks.push(b);
    this.#bytes += b.length;
  }
}

/**
 * The text-only responses of messages `from`..`to` (view indices) until a batch is full: returns the index to go on
 * from. A synchronous loop with the two usual shapes of a flag sync written inline, (UID FLAGS) and CONDSTORE's
 * (UID FLAGS MODSEQ), and the batch's lines handed over as one string: the first flag sync after a bulk APPEND runs
 * before the JIT has optimised anything, where every call and property lookup per message counts (a
 * 10,000-message `UID FETCH 1:* (FLAGS)` took ~40 % less server CPU than with a call per line; docs/benchmarks.md).
 */
function textBatch(view: MailboxView, items: readonly FetchItem[], from: number, to: number, changedSince: number | null, hasFlags: boolean, out: FetchBatch): number {
  const shape = lineShape(items);
  const recent = view.recent;
  let text = '';
  let lines = 0;
  let i = from;
  for (; i <= to && text.length < batchChars; i++) {
    const p = view.placementAt(i);
    if (changedSince !== null && p.modseq <= changedSince) continue;
    const flags = p.flags;
    // A keyword the session has not seen yet is announced (* FLAGS) before the line that shows it (RFC 3501 §7.2.6).
    if (hasFlags && hasKeyword(flags)) {
      const announced = view.announceKeywords(flags);
      if (announced.length > 0) {
        out.lines(text, lines);
        text = '';
        lines = 0;
        for (const line of announced) out.line(`* ${line}\r\n`);
      }
    }
    if (shape === 'uid-flags') text += `* ${i + 1} FETCH (UID ${p.uid} FLAGS ${formatFlags(flags, recent.has(p))})\r\n`;
    else if (shape === 'uid-flags-modseq') text += `* ${i + 1} FETCH (UID ${p.uid} FLAGS ${formatFlags(flags, recent.has(p))} MODSEQ (${p.modseq}))\r\n`;
    else text += textFetchLine(i + 1, p, items, view);
    lines++;
  }
  out.lines(text, lines);
  return i;
}

/** The flag-sync shapes textBatch() writes inline; any other list of text items goes through textFetchLine(). */
function lineShape(items: readonly FetchItem[]): 'uid-flags' | 'uid-flags-modseq' | null {
  if (items.length < 2 || items.length > 3 || items[0].kind !== 'UID' || items[1].kind !== 'FLAGS') return null;
  if (items.length === 2) return 'uid-flags';
  return items[2].kind === 'MODSEQ' ? 'uid-flags-modseq' : null;
}

/** `* seq FETCH (...)\r\n` for any list of text-only items: one short string per message. */
function textFetchLine(seq: number, p: Placement, items: readonly FetchItem[], view: MailboxView): string {
  let s = `* ${seq} FETCH (`;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) s += ' ';
    switch (items[i].kind) {
      case 'UID':
        s += `UID ${p.uid}`;
        break;
      case 'FLAGS':
        s += `FLAGS ${formatFlags(p.flags, view.recent.has(p))}`;
        break;
      case 'INTERNALDATE':
        s += `INTERNALDATE ${formatInternalDate(p.internalDate)}`;
        break;
      case 'RFC822.SIZE':
        s += `RFC822.SIZE ${p.message.size}`;
        break;
      case 'MODSEQ':
        s += `MODSEQ (${p.modseq})`;
        break;
    }
  }
  return s + ')\r\n';
}

/**
 * `* seq FETCH (...)\r\n` as bytes, plus its transcript form (literal contents omitted), built only if asked for.
 * Text items (UID, FLAGS, ...) and the labels between values are gathered into one string up to the next value that
 * is bytes (a cached ENVELOPE or BODYSTRUCTURE, a literal): a header sync of 10,000 messages made a dozen small
 * Buffers and four closures per message.
 */
export function renderFetch(entry: ViewEntry, items: readonly FetchItem[], view: MailboxView, cache: MessageCache, addFlags: boolean): { bytes: Buffer[]; summary: () => string } {
  const chunks: Buffer[] = [];
  const p = entry.placement;
  const all = addFlags && !items.some((i) => i.kind === 'FLAGS') ? [...items, { kind: 'FLAGS' } as FetchItem] : items;
  const values = new Array<RenderedValue>(all.length);
  let text = `* ${entry.seq} FETCH (`;
  for (let i = 0; i < all.length; i++) {
    const [label, value] = renderItem(all[i], p, view, cache);
    values[i] = [label, value];
    text += i === 0 ? `${label} ` : ` ${label} `;
    if (typeof value === 'string') {
      text += value;
      continue;
    }
    chunks.push(Buffer.from(text, 'utf8'));
    text = '';
    // A literal is its `{n}` line and its bytes.
    if (Array.isArray(value)) chunks.push(value[0], value[1]);
    else chunks.push(value);
  }
  chunks.push(Buffer.from(`${text})\r\n`, 'utf8'));
  return { bytes: chunks, summary: () => `* ${entry.seq} FETCH (${values.map(shownValue).join(' ')})` };
}

/** A FETCH item's label and value: text, bytes (a cached ENVELOPE/BODYSTRUCTURE), or a literal. */
type RenderedValue = [label: string, value: string | Buffer | [Buffer, Buffer]];

/** An item as the transcript shows it: a literal or multi-line value by its size, never the message bytes. */
function shownValue([label, value]: RenderedValue): string {
  if (typeof value === 'string') return `${label} ${value}`;
  if (Array.isArray(value)) return `${label} {${value[1].length} bytes}`;
  return `${label} ${value.includes(10) ? `{${value.length} bytes}` : value.toString('utf8')}`;
}

function renderItem(item: FetchItem, p: Placement, view: MailboxView, cache: MessageCache): RenderedValue {
  const mime = cache.mime;
  switch (item.kind) {
    case 'UID':
      return ['UID', String(p.uid)];
    case 'FLAGS':
      return ['FLAGS', formatFlags(p.flags, view.recent.has(p))];
    case 'INTERNALDATE':
      return ['INTERNALDATE', formatInternalDate(p.internalDate)];
    case 'RFC822.SIZE':
      return ['RFC822.SIZE', String(p.message.size)];
    case 'MODSEQ':
      return ['MODSEQ', `(${p.modseq})`];
    case 'ENVELOPE':
      return ['ENVELOPE', cache.formatted(p.message, 'ENVELOPE', () => formatImapValue(envelopeOf(mime.treeOf(p.message))))];
    case 'BODYSTRUCTURE':
    case 'BODY':
      return [item.kind, cache.formatted(p.message, item.kind, () => formatImapValue(bodyStructureOf(mime.treeOf(p.message), item.kind === 'BODYSTRUCTURE')))];
    case 'RFC822':
      return ['RFC822', literal(p.message.raw)];
    case 'RFC822.HEADER':
      return ['RFC822.HEADER', literal(sectionBytes(p.message.raw, mime.treeOf(p.message), { part: [], kind: 'header' }))];
    case 'RFC822.TEXT':
      return ['RFC822.TEXT', literal(sectionBytes(p.message.raw, mime.treeOf(p.message), { part: [], kind: 'text' }))];
    case 'section': {
      // The stored bytes are made into a Buffer view on read: only by the items that need them.
      const raw = p.message.raw;
      // BODY[] needs no parse: the stored bytes are the answer (SPEC §4: byte for byte).
      const whole = item.section.part.length === 0 && item.section.kind === 'all';
      const bytes = whole ? raw : sectionBytes(raw, mime.treeOf(p.message), item.section);
      return [item.label, literal(item.partial ? partialBytes(bytes, item.partial.start, item.partial.count) : bytes)];
    }
    case 'binary': {
      const raw = p.message.raw;
      const tree = mime.treeOf(p.message);
      const bytes = item.part.length === 0 ? binaryEntity(raw, tree, true, (leaf) => binaryContent(raw, leaf)) : binaryContent(raw, findPart(tree, item.part));
      if (item.sizeOnly) return [item.label, String(bytes.length)];
      const out = item.partial ? partialBytes(bytes, item.partial.start, item.partial.count) : bytes;
      // RFC 3516 §4.2: literal8 (`~{n}`) only where the content has a NUL, which a plain literal may not carry.
      return [item.label, out.includes(0) ? [Buffer.from(`~{${out.length}}\r\n`, 'latin1'), out] : literal(out)];
    }
  }
}

const identityEncodings = new Set(['7bit', '8bit', 'binary']);

/**
 * A part's content with its Content-Transfer-Encoding undone (RFC 3516 §4.2); in a multipart or message part, each
 * part inside it (binaryEntity). An encoding we can't decode is `NO [UNKNOWN-CTE]`; a part that doesn't exist is empty.
 */
function binaryContent(raw: Buffer, node: MimeNode | null): Buffer {
  if (!node) return Buffer.alloc(0);
  const body = raw.subarray(node.bodyStart, node.end);
  if (node.children.length > 0 || node.message) return binaryEntity(raw, node, false, (leaf) => binaryContent(raw, leaf));
  const encoding = node.encoding;
  if (encoding === null || identityEncodings.has(encoding)) return body;
  if (encoding === 'quoted-printable') return decodeQuotedPrintableLines(body);
  if (encoding === 'base64') return transferDecode(body, encoding);
  throw no(`Unknown Content-Transfer-Encoding ${encoding.slice(0, 40)}`, 'UNKNOWN-CTE');
}

/** fetch-modifier list (RFC 7162 §3.1.4.1, §3.2.6): `(CHANGEDSINCE n)`, and for UID FETCH `(CHANGEDSINCE n VANISHED)`. */
function parseFetchModifiers(t: Token | undefined, isUid: boolean): { changedSince: number | null; vanished: boolean } {
  const out = { changedSince: null as number | null, vanished: false };
  if (!t) return out;
  if (t.type !== 'list' || t.items.length === 0) throw bad('FETCH modifiers must be a parenthesised list');
  for (let i = 0; i < t.items.length; i++) {
    const name = toKeyword(t.items[i], 'FETCH modifier');
    if (name === 'CHANGEDSINCE') out.changedSince = toModseq(t.items[++i], 'CHANGEDSINCE');
    else if (name === 'VANISHED') out.vanished = true;
    else throw bad(`Unknown FETCH modifier ${name.slice(0, 30)}`);
  }
  if (out.vanished && !isUid) throw bad('VANISHED is for UID FETCH only');
  if (out.vanished && out.changedSince === null) throw bad('VANISHED needs CHANGEDSINCE');
  return out;
}

function literal(bytes: Buffer): [Buffer, Buffer] {
  return [Buffer.from(`{${bytes.length}}\r\n`, 'latin1'), bytes];
}

/**
 * Quoted-printable as RFC 2045 §6.7 decodes it, line by line: trailing blanks are transport padding and dropped, a
 * line ending in `=` (blanks after it allowed) joins the next, `=XX` is an octet, a malformed `=` stays as it is.
 * Line ends are kept as the message has them.
 */
function decodeQuotedPrintableLines(bytes: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    let lf = bytes.indexOf(0x0a, start);
    if (lf === -1) lf = bytes.length;
    let end = lf > start && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
    const eol = bytes.subarray(end, Math.min(lf + 1, bytes.length));
    while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
    const soft = end > start && bytes[end - 1] === 0x3d;
    out.push(decodeQuotedPrintable(bytes.subarray(start, soft ? end - 1 : end)));
    if (!soft) out.push(eol);
    start = lf + 1;
  }
  return Buffer.concat(out);
}
