import { decodeCharset } from './header-params.js';
import { htmlToReadableText } from './readable-text.js';
import { paramValue, parseMimeTree, type MimeNode } from './mime-tree.js';
import type { StoredMessage } from '../store/types.js';

/** Search text is cut here: SEARCH and the query language never scan more than this per message. */
export const maxSearchableChars = 1_000_000;
/** Encoded bytes read per part: enough for maxSearchableChars even as quoted-printable... */
const maxEncodedBytes = 8 * maxSearchableChars;
/** ...and decoded bytes (or HTML characters) turned into text: enough for maxSearchableChars of 4-byte UTF-8. */
const maxDecodedBytes = 4 * maxSearchableChars;
/** Characters of an HTML part turned into search text: a templated mail's words are well within it. */
export const maxSearchableHtml = 256 * 1024;

/**
 * The decoded text of a message's text/* parts (nested messages included), for SEARCH BODY/TEXT and the HTTP
 * query language: transfer encoding and charset decoded, HTML tags stripped, parts separated by a newline.
 * Recomputes each call; `MimeCache` keeps the result per message.
 *
 * @example bodyTextOf(message).includes('Your code is 123456')
 */
export function bodyTextOf(message: StoredMessage): string {
  return textOfTree(message.raw, parseMimeTree(message.raw));
}

export function textOfTree(raw: Buffer, tree: MimeNode): string {
  const out: string[] = [];
  let length = 0;
  const visit = (node: MimeNode): void => {
    if (length >= maxSearchableChars) return;
    if (node.children.length > 0) node.children.forEach(visit);
    else if (node.message) visit(node.message);
    else if (node.type === 'text') {
      const text = decodedTextOf(raw, node);
      out.push(text);
      length += text.length + 1;
    }
  };
  visit(tree);
  const joined = out.join('\n');
  return joined.length > maxSearchableChars ? joined.slice(0, maxSearchableChars) : joined;
}

/** One text part's content as a string: transfer-decoded, charset-decoded, HTML reduced to its text. */
export function decodedTextOf(raw: Buffer, node: MimeNode): string {
  // Only the start of a huge part can reach the search text anyway; don't decode megabytes that are cut off.
  const end = Math.min(node.end, node.bodyStart + maxEncodedBytes);
  const body = transferDecode(raw.subarray(node.bodyStart, end), node.encoding);
  const text = decodeCharset(body.subarray(0, maxDecodedBytes), paramValue(node.params, 'charset') ?? 'utf-8');
  // HTML goes through the linear readable-text converter, and only its first part: search runs synchronously (IMAP
  // SEARCH, the query language), so a 25 MiB hostile HTML part must not stall every other client (SPEC §10).
  return node.subtype === 'html' ? htmlToReadableText(text, maxSearchableHtml) : text;
}

/** base64 and quoted-printable decoded; other encodings (7bit, 8bit, binary, unknown) returned as they are. */
export function transferDecode(bytes: Buffer, encoding: string | null): Buffer {
  if (encoding === 'base64') return Buffer.from(bytes.toString('latin1'), 'base64');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(bytes);
  return bytes;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** RFC 2045 §6.7; a malformed `=` is kept literally (the robustness rule of the same section). */
export function decodeQuotedPrintable(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    const hi = hexValue(bytes[i + 1]);
    const lo = hexValue(bytes[i + 2]);
    if (hi >= 0 && lo >= 0) {
      out[o++] = hi * 16 + lo;
      i += 2;
      continue;
    }
    // Soft line break: "=" then optional trailing whitespace then CRLF or LF.
    let j = i + 1;
    while (bytes[j] === 0x20 || bytes[j] === 0x09) j++;
    if (bytes[j] === 0x0d && bytes[j + 1] === 0x0a) i = j + 1;
    else if (bytes[j] === 0x0a) i = j;
    else if (j >= bytes.length) i = j;
    else out[o++] = c;
  }
  return out.subarray(0, o);
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
/** Elements whose content is not text a person reads. */
const hiddenElements = new Set(['script', 'style', 'head', 'title']);
/** Elements that end a line of text. */
const blockElements = new Set(['br', 'p', 'div', 'tr', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'blockquote']);

/**
 * Cheap HTML-to-text: comments and script/style/head dropped, tags removed, the common entities decoded.
 * A hand-written scan with indexOf and sticky regexes, not `<[^>]*>`, so a hostile `<<<<...` stays linear.
 */
export function htmlToText(html: string): string {
  const out: string[] = [];
  // Sticky, so it matches only at the '<' it is pointed at; one per call (a regex's lastIndex is state).
  const tagPattern = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)|<[!?]/y;
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      out.push(html.slice(i));
      break;
    }
    if (lt > i) out.push(html.slice(i, lt));
    i = skipMarkup(html, lt, out, tagPattern);
  }
  return decodeEntities(out.join('')).replace(/[ \t\u00a0]+/g, ' ');
}

/** Handles the markup starting at `lt`, pushing what it stands for; returns where text resumes. */
function skipMarkup(html: string, lt: number, out: string[], tagPattern: RegExp): number {
  if (html.startsWith('<!--', lt)) {
    const end = html.indexOf('-->', lt + 4);
    out.push(' ');
    return end < 0 ? html.length : end + 3;
  }
  tagPattern.lastIndex = lt;
  const tag = tagPattern.exec(html);
  // A '<' that does not open a tag is text ("a < b").
  if (!tag) {
    out.push('<');
    return lt + 1;
  }
  const gt = html.indexOf('>', lt + 1);
  if (gt < 0) return html.length;
  const name = (tag[2] ?? '').toLowerCase();
  if (!tag[1] && hiddenElements.has(name)) {
    const close = new RegExp(`</${name}\\s*>`, 'gi');
    close.lastIndex = gt + 1;
    const m = close.exec(html);
    out.push(' ');
    return m ? m.index + m[0].length : html.length;
  }
  out.push(blockElements.has(name) ? '\n' : ' ');
  return gt + 1;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (whole, name: string) => {
    if (name[0] !== '#') return entities[name.toLowerCase()] ?? whole;
    const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
