import type { MessageCache } from '../../message-cache.js';
import { bodyStructureOf } from '../../../mime/body-structure.js';
import { envelopeOf } from '../../../mime/envelope.js';
import { findPart, partialBytes, sectionBytes } from '../../../mime/section.js';
import { decodeQuotedPrintable, transferDecode } from '../../../mime/searchable-text.js';
import type { MimeNode } from '../../../mime/mime-tree.js';
import { binaryEntity } from '../../../mime/binary-parts.js';
import type { Placement } from '../../../store/types.js';
import type { MessageStore } from '../../../store/message-store.js';
import { bad, no } from '../../imap-error.js';
import { enableCondstore, isCondstoreOn, isQresyncOn, toModseq, vanishedEarlier } from '../../condstore.js';
import type { MailboxView, ViewEntry } from '../../mailbox-view.js';
import { expectArgCount, getSequenceSet, toKeyword } from '../../wire/args.js';
import type { Token } from '../../wire/tokenizer.js';
import { formatFlags, formatImapText, formatInternalDate } from '../../wire/encoder.js';
import { defineCommand, ok, selected } from '../define.js';
import type { ImapSession } from '../../session.js';
import { parseFetchItems, setsSeen, type FetchItem } from './fetch-items.js';
import { batchChars, FetchBatch } from './fetch-batch.js';

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
    if (vanished && changedSince !== null) {
      const line = vanishedEarlier(view.folder, changedSince, set);
      if (line) await ctx.session.untagged(line);
    }
    const plan = fetchPlan(ctx.session, view, items, changedSince);
    const out = new FetchBatch(ctx.session);
    // Indices, not an entry object per message: a flag sync over 10,000 messages allocates next to nothing.
    walk: for (const [lo, hi] of view.resolveRanges(set, ctx.isUid)) {
      for (let i = lo; i <= hi; i++) {
        // A client that hung up mid-FETCH must not make the server render the rest of the folder.
        if (ctx.session.isClosed) break walk;
        if (plan.isTextOnly) {
          // A flag sync goes a batch of lines at a time; the loop's i++ steps to the index after the batch.
          i = textBatch(plan, i, hi, out) - 1;
          await out.flush();
          continue;
        }
        fetchMessage(ctx.session, ctx.server.store, plan, i, out);
        if (out.isDue) await out.flush();
      }
    }
    await out.flush();
    return ok(`${ctx.name} completed`);
  },
});

/** What every message of one FETCH shares, worked out once per command. */
interface FetchPlan {
  view: MailboxView;
  items: readonly FetchItem[];
  /** The items plus MODSEQ, for a message this FETCH marks \Seen with CONDSTORE on (RFC 7162 §3.1.4). */
  withModseq: readonly FetchItem[];
  changedSince: number | null;
  /** A body item without .PEEK in a read-write folder: each message it shows is marked \Seen. */
  markSeen: boolean;
  /** FLAGS is asked for: a keyword new to the session is announced before the line that shows it. */
  hasFlags: boolean;
  /** UID/FLAGS/INTERNALDATE/RFC822.SIZE/MODSEQ only (a flag sync, which never sets \Seen): one line of text each. */
  isTextOnly: boolean;
  /** For text-only items, the shape textBatch() writes inline (null: textFetchLine()). */
  shape: ReturnType<typeof lineShape>;
}

function fetchPlan(session: ImapSession, view: MailboxView, items: readonly FetchItem[], changedSince: number | null): FetchPlan {
  const isTextOnly = items.every((i) => textItems.has(i.kind));
  return {
    view,
    items,
    withModseq: isCondstoreOn(session) && !items.some((i) => i.kind === 'MODSEQ') ? [...items, { kind: 'MODSEQ' } as FetchItem] : items,
    changedSince,
    markSeen: setsSeen(items) && !view.isReadOnly,
    hasFlags: items.some((i) => i.kind === 'FLAGS'),
    isTextOnly,
    shape: isTextOnly ? lineShape(items) : null,
  };
}

/** One message's response (any items), marking it \Seen first where the FETCH does so. */
function fetchMessage(session: ImapSession, store: MessageStore, plan: FetchPlan, i: number, out: FetchBatch): void {
  const { view, items, changedSince } = plan;
  const p = view.placementAt(i);
  if (changedSince !== null && p.modseq <= changedSince) return;
  // Setting \Seen through the store makes the API and UI show it as read; the FLAGS go in this response.
  const isNewlySeen = plan.markSeen && !view.isGone(p) && store.setFlags([p], ['\\Seen'], 'add', session).length > 0;
  if ((isNewlySeen || plan.hasFlags) && hasKeyword(p.flags)) {
    for (const line of view.announceKeywords(p.flags)) out.line(`* ${line}\r\n`);
  }
  const entry = { seq: i + 1, placement: p };
  const { bytes, text, summary } = renderFetch(entry, isNewlySeen ? plan.withModseq : items, view, session.cache, isNewlySeen);
  out.response(bytes, text, out.isTranscriptFull ? `* ${entry.seq} FETCH` : summary());
}

/** True when a flag is a keyword (only those may need announcing); no iterator object for an empty set. */
function hasKeyword(flags: ReadonlySet<string>): boolean {
  if (flags.size === 0) return false;
  for (const f of flags) if (!f.startsWith('\\')) return true;
  return false;
}

const textItems = new Set<FetchItem['kind']>(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'MODSEQ']);

/**
 * The text-only responses of messages `from`..`to` (view indices) until a batch is full: returns the index to go on
 * from. A synchronous loop with the two usual shapes of a flag sync written inline, (UID FLAGS) and CONDSTORE's
 * (UID FLAGS MODSEQ), and the batch's lines handed over as one string: the first flag sync after a bulk APPEND runs
 * before the JIT has optimised anything, where every call and property lookup per message counts (a
 * 10,000-message `UID FETCH 1:* (FLAGS)` took ~40 % less server CPU than with a call per line; docs/benchmarks.md).
 */
function textBatch({ view, items, changedSince, hasFlags, shape }: FetchPlan, from: number, to: number, out: FetchBatch): number {
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
    if (shape === null) text += textFetchLine(i + 1, p, items, view);
    else text += `* ${i + 1} FETCH (UID ${p.uid} FLAGS ${formatFlags(flags, recent.has(p))}${shape === 'uid-flags-modseq' ? ` MODSEQ (${p.modseq})` : ''})\r\n`;
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
 * `* seq FETCH (...)\r\n` as bytes up to its last value that is bytes (a literal; an ENVELOPE or BODYSTRUCTURE with
 * one), then the text after it, plus its transcript form (literal contents omitted), built only if asked for. Text
 * items (UID, FLAGS, a cached ENVELOPE or BODYSTRUCTURE, ...) and the labels between values are gathered into one
 * string: a header sync line is text only, which FetchBatch joins to its batch (a header sync of 10,000 messages
 * made a dozen small Buffers and four closures per message, then five Buffers).
 */
export function renderFetch(entry: ViewEntry, items: readonly FetchItem[], view: MailboxView, cache: MessageCache, addFlags: boolean): { bytes: Buffer[]; text: string; summary: () => string } {
  const chunks: Buffer[] = [];
  const p = entry.placement;
  const all = addFlags && !items.some((i) => i.kind === 'FLAGS') ? [...items, { kind: 'FLAGS' } as FetchItem] : items;
  const values = new Array<RenderedValue>(all.length);
  // Parsed at most once per response. Kept in the cache only for items that read it each time (sections, BINARY): an
  // ENVELOPE or BODYSTRUCTURE is kept as its wire form, and a tree (~3.9 KB for a three-part 2 KB message) kept for
  // each message of a 10,000-message header sync was ~39 MB of heap.
  let tree: MimeNode | undefined;
  const keepsTree = all.some(readsTreeEachTime);
  const treeOf = (): MimeNode => (tree ??= keepsTree ? cache.mime.treeOf(p.message) : cache.mime.transientTreeOf(p.message));
  let text = `* ${entry.seq} FETCH (`;
  for (let i = 0; i < all.length; i++) {
    const rendered = renderItem(all[i], p, view, cache, treeOf);
    values[i] = rendered;
    const [label, value] = rendered;
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
  return { bytes: chunks, text: `${text})\r\n`, summary: () => `* ${entry.seq} FETCH (${values.map(shownValue).join(' ')})` };
}

/** A FETCH item's label and value: text, bytes (a cached ENVELOPE/BODYSTRUCTURE), or a literal. */
type RenderedValue = [label: string, value: string | Buffer | [Buffer, Buffer]];

/** An item as the transcript shows it: a literal or multi-line value by its size, never the message bytes. */
function shownValue([label, value]: RenderedValue): string {
  if (typeof value === 'string') return `${label} ${value}`;
  if (Array.isArray(value)) return `${label} {${value[1].length} bytes}`;
  return `${label} ${value.includes(10) ? `{${value.length} bytes}` : value.toString('utf8')}`;
}

/** Items that read the MIME tree each time they are fetched (no wire form of theirs is kept). */
function readsTreeEachTime(item: FetchItem): boolean {
  if (item.kind === 'section') return item.section.part.length > 0 || item.section.kind !== 'all';
  return item.kind === 'binary' || item.kind === 'RFC822.HEADER' || item.kind === 'RFC822.TEXT';
}

function renderItem(item: FetchItem, p: Placement, view: MailboxView, cache: MessageCache, treeOf: () => MimeNode): RenderedValue {
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
      return ['ENVELOPE', cache.formatted(p.message, 'ENVELOPE', () => formatImapText(envelopeOf(treeOf())))];
    case 'BODYSTRUCTURE':
    case 'BODY':
      return [item.kind, cache.formatted(p.message, item.kind, () => formatImapText(bodyStructureOf(treeOf(), item.kind === 'BODYSTRUCTURE')))];
    case 'RFC822':
      return ['RFC822', literal(p.message.raw)];
    case 'RFC822.HEADER':
      return ['RFC822.HEADER', literal(sectionBytes(p.message.raw, treeOf(), { part: [], kind: 'header' }))];
    case 'RFC822.TEXT':
      return ['RFC822.TEXT', literal(sectionBytes(p.message.raw, treeOf(), { part: [], kind: 'text' }))];
    case 'section': {
      // The stored bytes are made into a Buffer view on read: only by the items that need them.
      const raw = p.message.raw;
      // BODY[] needs no parse: the stored bytes are the answer (SPEC §4: byte for byte).
      const whole = item.section.part.length === 0 && item.section.kind === 'all';
      const bytes = whole ? raw : sectionBytes(raw, treeOf(), item.section);
      return [item.label, literal(item.partial ? partialBytes(bytes, item.partial.start, item.partial.count) : bytes)];
    }
    case 'binary': {
      const raw = p.message.raw;
      const tree = treeOf();
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
