import { decodeWords, parseStructuredHeader, type MimeParam } from './header-params.js';
import { detach } from '../shared/detach.js';

export type { MimeParam } from './header-params.js';

/** One header field. `start`/`end` are byte offsets into the raw message, the field's line break(s) included. */
export interface MimeHeaderField {
  /** Lower-cased. */
  name: string;
  /** Unfolded, trimmed, encoded words left as they are; 8-bit bytes read as UTF-8 (latin-1 if not valid UTF-8). */
  value: string;
  start: number;
  end: number;
}

export interface MimeDisposition {
  /** Lower-cased: `inline`, `attachment`, ... */
  type: string;
  params: MimeParam[];
}

/**
 * One MIME entity. All offsets are bytes into the raw message the tree was parsed from:
 * `raw.subarray(headerStart, bodyStart)` is the header block including its blank line,
 * `raw.subarray(bodyStart, end)` the body (for a multipart part, without the line break before the next boundary).
 */
export interface MimeNode {
  /** IMAP part number: `''` for the top-level message, then `1`, `1.2`, ... (an encapsulated message shares its part's). */
  path: string;
  headerStart: number;
  bodyStart: number;
  end: number;
  headers: MimeHeaderField[];
  /** Lower-cased; `text`/`plain` when absent (`message`/`rfc822` inside multipart/digest). */
  type: string;
  subtype: string;
  /** True when the entity declared a usable Content-Type (the default charset is only implied otherwise). */
  hasContentType: boolean;
  params: MimeParam[];
  /** Content-Transfer-Encoding, lower-cased, or null when absent. */
  encoding: string | null;
  id: string | null;
  description: string | null;
  disposition: MimeDisposition | null;
  language: string[] | null;
  location: string | null;
  md5: string | null;
  /** Body size in octets. */
  size: number;
  /** Body lines: LF count, plus one for a last line without a line break. Counted for text/* and message/* only. */
  lines: number;
  /** Parts of a multipart, in order (always at least one). Empty for other types. */
  children: MimeNode[];
  /** The encapsulated message of a message/rfc822 or message/global part; null otherwise. */
  message: MimeNode | null;
}

/** Nesting and part-count limits: a hostile message can't blow the stack or make parsing slow. */
export const mimeLimits = { maxDepth: 50, maxParts: 10_000, maxHeaderFields: 5_000 } as const;

interface ParseContext {
  raw: Buffer;
  parts: number;
  /** LF counts per 256-byte block, built on first need (see countLines). */
  lineIndex: Uint32Array | null;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Parses a message into its MIME tree. Never throws: malformed input yields a best-effort tree.
 *
 * @example parseMimeTree(raw).children[0]?.subtype // 'plain' for the first part of a multipart/alternative
 */
export function parseMimeTree(raw: Buffer): MimeNode {
  const ctx: ParseContext = { raw, parts: 0, lineIndex: null };
  return parseEntity(ctx, 0, raw.length, '', 0, false);
}

/**
 * The top-level header fields only, as `parseMimeTree(raw).headers` gives them, without parsing the body: SEARCH
 * FROM/SUBJECT/HEADER need no MIME tree.
 */
export function parseTopHeaders(raw: Buffer): MimeHeaderField[] {
  return parseHeaderBlock(raw, 0, findHeaderEnd(raw, 0, raw.length));
}

/**
 * The top-level fields named `name` (lower-case letters, digits and `-`), exactly as `parseTopHeaders(raw)` has them,
 * found by a scan for that name at line starts instead of building every field (SEARCH FROM over 10,000 messages).
 */
export function parseTopHeaderField(raw: Buffer, name: string): MimeHeaderField[] {
  const spans = topHeaderFieldSpans(raw, name);
  if (spans === null) return fromFullParse(raw, name);
  const fields: MimeHeaderField[] = [];
  for (let i = 0; i < spans.length; i += 3) {
    const pos = spans[i];
    const next = spans[i + 2];
    const text = raw.toString('latin1', pos, next);
    fields.push(finishField(text, { name, valueStart: spans[i + 1] - pos, start: 0, end: next - pos }, pos));
  }
  return fields;
}

/**
 * Where the top-level fields named `name` (lower-case letters, digits and `-`) are, as byte offsets: for each one
 * its start, where its value starts (after the colon) and its end (after its last line break, continuation lines
 * included), flat. A byte scan over line starts: no string of the whole header block, no regex per message. Null
 * when only the full parse can say (another kind of name, or a header block long enough for its field-count limit).
 */
export function topHeaderFieldSpans(raw: Buffer, name: string): number[] | null {
  if (!fieldNamePattern.test(name)) return null;
  const spans: number[] = [];
  const limit = 3 * mimeLimits.maxHeaderFields;
  let pos = 0;
  while (pos < raw.length) {
    // Past this size the field-count limit could matter: the full parse applies it.
    if (pos >= limit) return null;
    const first = raw[pos];
    if (first === LF || (first === CR && raw[pos + 1] === LF)) break;
    let lf = raw.indexOf(LF, pos);
    let next = lf < 0 ? raw.length : lf + 1;
    // A line that starts with the name, blanks (what `trim()` drops, as latin-1) and its first colon.
    const valueStart = lineStartsWithField(raw, pos, next, name);
    if (valueStart > 0) {
      while (next < raw.length && (raw[next] === 0x20 || raw[next] === 0x09)) {
        lf = raw.indexOf(LF, next);
        next = lf < 0 ? raw.length : lf + 1;
      }
      spans.push(pos, valueStart, next);
    }
    pos = next;
  }
  return spans;
}

/** A name topHeaderFieldSpans can look for: one RegExp, not one per call (SEARCH calls it per message). */
const fieldNamePattern = /^[a-z0-9-]+$/;

/**
 * The fields of the full parse, values copied: they are slices of the whole header text, which a caller keeping a
 * value would otherwise keep alive. Values from the scan above are cut from their own field's text only.
 */
function fromFullParse(raw: Buffer, name: string): MimeHeaderField[] {
  return parseTopHeaders(raw)
    .filter((f) => f.name === name)
    .map((f) => ({ ...f, value: detach(f.value) }));
}

/** Where the value starts when `raw[pos, end)` starts with `name` (any case), blanks and a colon; else 0. */
function lineStartsWithField(raw: Buffer, pos: number, end: number, name: string): number {
  if (end - pos <= name.length) return 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const b = raw[pos + i];
    // Letters compare without case; digits and `-` as they are.
    if (b !== c && !(c >= 0x61 && c <= 0x7a && b === c - 0x20)) return 0;
  }
  let i = pos + name.length;
  // JavaScript's \s as latin-1, without LF: tab, VT, FF, CR, space, NBSP.
  while (i < end && (raw[i] === 0x20 || raw[i] === 0x09 || raw[i] === 0x0b || raw[i] === 0x0c || raw[i] === 0x0d || raw[i] === 0xa0)) i++;
  return i < end && raw[i] === 0x3a ? i + 1 : 0;
}

/** The first value of a header field, or null. */
export function headerValue(node: MimeNode, name: string): string | null {
  const lower = name.toLowerCase();
  for (const f of node.headers) if (f.name === lower) return f.value;
  return null;
}

/** Every value of a header field, with RFC 2047 encoded words decoded (for SEARCH matching). */
export function headerValues(node: MimeNode, name: string): string[] {
  const lower = name.toLowerCase();
  return node.headers.filter((f) => f.name === lower).map((f) => decodeWords(f.value));
}

/** Every header field as a `name: decoded value` line, for SEARCH TEXT (which matches header and body). */
export function decodedHeaderText(node: MimeNode): string {
  return node.headers.map((f) => `${f.name}: ${decodeWords(f.value)}`).join('\n');
}

/** A parameter's decoded value (`charset`, `name`, `filename`, `boundary`), or null. */
export function paramValue(params: readonly MimeParam[], name: string): string | null {
  for (const p of params) if (p.name === name) return p.value;
  return null;
}

export function isMultipart(node: MimeNode): boolean {
  return node.children.length > 0;
}

function parseEntity(ctx: ParseContext, start: number, end: number, path: string, depth: number, inDigest: boolean): MimeNode {
  ctx.parts++;
  const bodyStart = findHeaderEnd(ctx.raw, start, end);
  const headers = parseHeaderBlock(ctx.raw, start, bodyStart);
  const node = entityFromHeaders(headers, start, bodyStart, end, path, inDigest);
  const canDescend = depth < mimeLimits.maxDepth && ctx.parts < mimeLimits.maxParts;
  if (node.type === 'multipart') {
    const boundary = canDescend ? paramValue(node.params, 'boundary') : null;
    // A multipart we can't split (no boundary, or past the limits) is shown as one opaque text part.
    if (!boundary) return asLeaf(ctx, node);
    node.children = parseMultipartBody(ctx, node, boundary, depth);
    return node;
  }
  if (node.type === 'message' && (node.subtype === 'rfc822' || node.subtype === 'global')) {
    if (!canDescend) return asLeaf(ctx, node);
    node.message = parseEntity(ctx, bodyStart, end, path || '1', depth + 1, false);
  }
  // Only text/* and message/* report lines in BODYSTRUCTURE; counting them for attachments is wasted work.
  if (node.type === 'text' || node.type === 'message') node.lines = countLines(ctx, bodyStart, end);
  return node;
}

function asLeaf(ctx: ParseContext, node: MimeNode): MimeNode {
  node.type = 'text';
  node.subtype = 'plain';
  node.params = node.params.filter((p) => p.name !== 'boundary');
  node.lines = countLines(ctx, node.bodyStart, node.end);
  return node;
}

/** Offset just past the blank line that ends the header block, or `end` when there is none. */
function findHeaderEnd(raw: Buffer, start: number, end: number): number {
  if (start >= end) return end;
  if (raw[start] === LF) return start + 1;
  if (raw[start] === CR && raw[start + 1] === LF && start + 1 < end) return start + 2;
  const view = raw.subarray(start, end);
  let p = view.indexOf(LF);
  while (p >= 0) {
    if (view[p + 1] === LF) return start + p + 2;
    if (view[p + 1] === CR && view[p + 2] === LF) return start + p + 3;
    p = view.indexOf(LF, p + 1);
  }
  return end;
}

/** Header fields of `raw[start, stop)`; the text is read as latin1 so string offsets are byte offsets. */
function parseHeaderBlock(raw: Buffer, start: number, stop: number): MimeHeaderField[] {
  const text = raw.toString('latin1', start, stop);
  const fields: MimeHeaderField[] = [];
  let current: { name: string; valueStart: number; start: number; end: number } | null = null;
  const close = () => {
    if (current && fields.length < mimeLimits.maxHeaderFields) fields.push(finishField(text, current, start));
    current = null;
  };
  let pos = 0;
  while (pos < text.length && fields.length < mimeLimits.maxHeaderFields) {
    const lf = text.indexOf('\n', pos);
    const next = lf < 0 ? text.length : lf + 1;
    const c = text.charCodeAt(pos);
    if ((c === 0x20 || c === 0x09) && current) {
      current.end = next;
    } else {
      close();
      // Look for the colon within this line only: a long run of colon-less lines must not make parsing quadratic.
      const lineEnd = lf < 0 ? text.length : lf;
      const colon = text.slice(pos, lineEnd).indexOf(':') + pos;
      const name = colon > pos ? text.slice(pos, colon).trim().toLowerCase() : '';
      if (name && !/[\s\x00-\x1f]/.test(name)) current = { name, valueStart: colon + 1, start: pos, end: next };
    }
    pos = next;
  }
  close();
  return fields;
}

function finishField(text: string, f: { name: string; valueStart: number; start: number; end: number }, base: number) {
  let value = trimHeaderValue(text.slice(f.valueStart, f.end).replace(/\r?\n/g, ''));
  if (/[\x80-\xff]/.test(value)) value = eightBitText(value);
  return { name: f.name, value, start: base + f.start, end: base + f.end };
}

/** `base64 (comment)` → `base64 `: cut at the first `(`; the regex `/\s*\(.*$/` is quadratic on a long run of blanks. */
function withoutComment(value: string): string {
  const paren = value.indexOf('(');
  return paren < 0 ? value : value.slice(0, paren);
}

/**
 * Leading spaces/tabs and trailing spaces/tabs/CRs removed by scanning. The regex `/[ \t\r]+$/` is quadratic on a
 * long run of blanks followed by anything else (`a<200 KB of spaces>x` blocked the process for half a minute).
 */
function trimHeaderValue(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s[start] === ' ' || s[start] === '\t')) start++;
  while (end > start && (s[end - 1] === ' ' || s[end - 1] === '\t' || s[end - 1] === '\r')) end--;
  return s.slice(start, end);
}

/**
 * 8-bit header text as UTF-8 (RFC 6532). Bytes that are not valid UTF-8 are old-style raw latin-1 from
 * careless senders; read them as latin-1 rather than turning them into U+FFFD.
 */
function eightBitText(latin1: string): string {
  const utf8 = Buffer.from(latin1, 'latin1').toString('utf8');
  return utf8.includes('\ufffd') && !latin1.includes('\xef\xbf\xbd') ? latin1 : utf8;
}

function first(headers: MimeHeaderField[], name: string): string | null {
  for (const f of headers) if (f.name === name) return f.value;
  return null;
}

function entityFromHeaders(headers: MimeHeaderField[], start: number, bodyStart: number, end: number, path: string, inDigest: boolean): MimeNode {
  const ctRaw = first(headers, 'content-type');
  const ct = ctRaw === null ? null : parseStructuredHeader(ctRaw);
  const slash = ct ? ct.value.indexOf('/') : -1;
  const valid = ct !== null && slash > 0 && slash < ct.value.length - 1;
  const dispRaw = first(headers, 'content-disposition');
  const disp = dispRaw === null ? null : parseStructuredHeader(dispRaw);
  const lang = first(headers, 'content-language');
  const encoding = first(headers, 'content-transfer-encoding');
  return {
    path,
    headerStart: start,
    bodyStart,
    end,
    headers,
    type: valid ? ct.value.slice(0, slash) : inDigest ? 'message' : 'text',
    subtype: valid ? ct.value.slice(slash + 1) : inDigest ? 'rfc822' : 'plain',
    hasContentType: valid,
    params: valid ? ct.params : [],
    encoding: encoding ? withoutComment(encoding).trim().toLowerCase() || null : null,
    id: first(headers, 'content-id'),
    description: first(headers, 'content-description'),
    disposition: disp && disp.value ? { type: disp.value, params: disp.params } : null,
    language: lang ? lang.split(/[\s,]+/).filter(Boolean) : null,
    location: first(headers, 'content-location'),
    md5: first(headers, 'content-md5'),
    size: end - bodyStart,
    lines: 0,
    children: [],
    message: null,
  };
}

/**
 * LF count, plus one for a final line with no line break. Nested message/rfc822 parts each count their whole
 * body, so counts come from a per-message index (LFs per 256-byte block) rather than rescanning: 50 nested
 * messages of 25 MB cost one pass, not fifty.
 */
function countLines(ctx: ParseContext, start: number, end: number): number {
  if (end <= start) return 0;
  const lines = end - start <= directCountLimit ? countLfs(ctx.raw, start, end) : lfCountBefore(ctx, end) - lfCountBefore(ctx, start);
  return ctx.raw[end - 1] === LF ? lines : lines + 1;
}

/** Regions up to this size are counted directly (memchr-fast); only bigger ones pay for building the index. */
const directCountLimit = 64 * 1024;

function countLfs(raw: Buffer, start: number, end: number): number {
  const view = raw.subarray(start, end);
  let count = 0;
  for (let p = view.indexOf(LF); p >= 0; p = view.indexOf(LF, p + 1)) count++;
  return count;
}

const blockShift = 8;

function lfCountBefore(ctx: ParseContext, pos: number): number {
  const raw = ctx.raw;
  ctx.lineIndex ??= buildLineIndex(raw);
  const block = pos >>> blockShift;
  let count = ctx.lineIndex[block]!;
  for (let i = block << blockShift; i < pos; i++) if (raw[i] === LF) count++;
  return count;
}

/** index[k] = LFs in raw[0, k * 256). */
function buildLineIndex(raw: Buffer): Uint32Array {
  const index = new Uint32Array((raw.length >>> blockShift) + 1);
  let count = 0;
  for (let i = 0; i < raw.length; i++) {
    if ((i & 0xff) === 0) index[i >>> blockShift] = count;
    if (raw[i] === LF) count++;
  }
  if ((raw.length & 0xff) === 0) index[raw.length >>> blockShift] = count;
  return index;
}

interface Delimiter {
  /** Offset of `--boundary`. */
  at: number;
  /** Offset just past the delimiter line. */
  next: number;
  isClose: boolean;
}

/**
 * Splits a multipart body on its boundary (RFC 2046 §5.1.1): the preamble before the first delimiter and the
 * epilogue after the close delimiter are skipped; a missing close delimiter ends the last part at the body's end.
 */
function parseMultipartBody(ctx: ParseContext, node: MimeNode, boundary: string, depth: number): MimeNode[] {
  const delimiters = findDelimiters(ctx.raw, node.bodyStart, node.end, boundary);
  const inDigest = node.subtype === 'digest';
  const children: MimeNode[] = [];
  for (let i = 0; i < delimiters.length; i++) {
    const d = delimiters[i]!;
    if (d.isClose) break;
    if (ctx.parts >= mimeLimits.maxParts) break;
    const following = delimiters[i + 1];
    const partEnd = following ? lineBreakBefore(ctx.raw, following.at, d.next) : node.end;
    const path = node.path ? `${node.path}.${children.length + 1}` : String(children.length + 1);
    children.push(parseEntity(ctx, d.next, partEnd, path, depth + 1, inDigest));
  }
  // RFC 3501's grammar needs at least one part: a multipart without any delimiter gets one empty part.
  if (children.length === 0) {
    const path = node.path ? `${node.path}.1` : '1';
    children.push(parseEntity(ctx, node.end, node.end, path, depth + 1, inDigest));
  }
  return children;
}

/** The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), not to the part. */
function lineBreakBefore(raw: Buffer, at: number, floor: number): number {
  let e = at;
  if (e > floor && raw[e - 1] === LF) e--;
  if (e > floor && raw[e - 1] === CR) e--;
  return e;
}

function findDelimiters(raw: Buffer, start: number, end: number, boundary: string): Delimiter[] {
  const needle = Buffer.from(`--${boundary}`, 'latin1');
  const view = raw.subarray(start, end);
  const out: Delimiter[] = [];
  let p = view.indexOf(needle);
  while (p >= 0 && out.length <= mimeLimits.maxParts) {
    const atLineStart = p === 0 || view[p - 1] === LF;
    const after = p + needle.length;
    const isClose = view[after] === 0x2d && view[after + 1] === 0x2d;
    let q = isClose ? after + 2 : after;
    // Transport padding (spaces/tabs) may follow the boundary; anything else means a longer boundary.
    while (view[q] === 0x20 || view[q] === 0x09) q++;
    const lineEnds = q >= view.length || view[q] === LF || (view[q] === CR && (q + 1 >= view.length || view[q + 1] === LF));
    if (atLineStart && (isClose || lineEnds)) {
      const lf = view.indexOf(LF, q);
      out.push({ at: start + p, next: lf < 0 ? end : start + lf + 1, isClose });
      if (isClose) break;
      p = view.indexOf(needle, lf < 0 ? view.length : lf + 1);
    } else {
      p = view.indexOf(needle, p + 1);
    }
  }
  return out;
}
