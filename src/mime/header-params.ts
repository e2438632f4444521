import libmime from 'libmime';

/**
 * Structured MIME header values (`Content-Type`, `Content-Disposition`): `value; name=value; name="quoted"`,
 * with RFC 2231 continuations (`name*0*=`, `name*1=`) merged and charsets decoded.
 */

/** One parameter. `value` is decoded for people; `wireName`/`wireValue` are what BODYSTRUCTURE sends. */
export interface MimeParam {
  /** Lower-cased, without any RFC 2231 `*` suffix. */
  name: string;
  /** Decoded: RFC 2231 charset applied, or encoded words decoded (a common non-standard form). */
  value: string;
  /**
   * Continuations merged but the RFC 2231 encoding kept, as Dovecot does: `filename*` with
   * `utf-8''%C3%A4.pdf`, so the wire stays 7-bit and clients decode it themselves.
   */
  wireName: string;
  wireValue: string;
}

export interface StructuredHeader {
  /** The main token, lower-cased, spaces and comments removed (`text/plain`, `attachment`). */
  value: string;
  params: MimeParam[];
}

/** A hostile header cannot make us build more than this many parameters... */
const maxParams = 64;
/** ...or read more than this much of the header (real ones are well under 1 KB; long RFC 2231 names a few KB). */
const maxStructuredChars = 64 * 1024;
/** RFC 2231 continuation numbers above this are ignored (a part index, not a length). */
const maxSegment = 999;

interface RawParam {
  name: string;
  value: string;
}

export function parseStructuredHeader(input: string): StructuredHeader {
  const pieces = splitTopLevel(input.length > maxStructuredChars ? input.slice(0, maxStructuredChars) : input);
  const value = (pieces.shift() ?? '').replace(/\s+/g, '').toLowerCase();
  const raw: RawParam[] = [];
  for (const piece of pieces.slice(0, maxParams)) {
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    const name = piece.slice(0, eq).trim().toLowerCase();
    if (name) raw.push({ name, value: unquote(piece.slice(eq + 1).trim()) });
  }
  return { value, params: mergeParams(raw) };
}

/** Splits on `;` outside quoted strings, dropping `(comments)` (RFC 2045 allows them between tokens). */
function splitTopLevel(input: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      cur += c;
      if (c === '\\' && i + 1 < input.length) cur += input[++i];
      else if (c === '"') quoted = false;
    } else if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
    } else if (c === '(') depth = 1;
    else if (c === '"') (quoted = true), (cur += c);
    else if (c === ';') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  const close = value.lastIndexOf('"');
  const body = close > 0 ? value.slice(1, close) : value.slice(1);
  return body.replace(/\\(.)/g, '$1');
}

interface Segments {
  plain?: string;
  parts: Array<{ index: number; value: string; extended: boolean }>;
}

function mergeParams(raw: RawParam[]): MimeParam[] {
  const byName = new Map<string, Segments>();
  for (const { name, value } of raw) {
    const m = /^(.+?)\*(?:(\d{1,4})\*?|)$/.exec(name);
    const base = m ? m[1]! : name;
    const entry = byName.get(base) ?? { parts: [] };
    byName.set(base, entry);
    if (!m) entry.plain ??= value;
    else if (m[2] === undefined) entry.parts.push({ index: 0, value, extended: true });
    else if (Number(m[2]) <= maxSegment) entry.parts.push({ index: Number(m[2]), value, extended: name.endsWith('*') });
  }
  const out: MimeParam[] = [];
  for (const [name, seg] of byName) {
    if (seg.parts.length === 0) {
      const plain = seg.plain ?? '';
      out.push({ name, value: decodeWords(plain), wireName: name, wireValue: plain });
    } else {
      out.push(merge2231(name, seg.parts));
    }
  }
  return out;
}

function merge2231(name: string, parts: Segments['parts']): MimeParam {
  parts.sort((a, b) => a.index - b.index);
  const extended = parts[0]!.extended;
  if (!extended) {
    const joined = parts.map((p) => p.value).join('');
    return { name, value: decodeWords(joined), wireName: name, wireValue: joined };
  }
  // charset'language'percent-encoded — only the first segment carries the charset and language.
  const first = parts[0]!.value;
  const q1 = first.indexOf("'");
  const q2 = q1 >= 0 ? first.indexOf("'", q1 + 1) : -1;
  const charset = q2 > 0 ? first.slice(0, q1) : '';
  const language = q2 > 0 ? first.slice(q1 + 1, q2) : '';
  let encoded = q2 > 0 ? first.slice(q2 + 1) : first;
  for (const p of parts.slice(1)) encoded += p.extended ? p.value : percentEncode(p.value);
  return {
    name,
    value: decodeCharset(percentDecode(encoded), charset),
    wireName: `${name}*`,
    wireValue: `${charset}'${language}'${encoded}`,
  };
}

function percentEncode(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/[^A-Za-z0-9!#$&+\-.^_`|~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

function percentDecode(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(text[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes);
}

// 0x80-0x9F of windows-1252 (WHATWG also maps the iso-8859-1 and ascii labels here). Node 20's TextDecoder
// decodes this encoding as plain latin1, so '€' (0x80) and the curly quotes would come out as C1 controls.
const cp1252High =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function decodeWindows1252(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  return /[\x80-\x9f]/.test(text) ? text.replace(/[\x80-\x9f]/g, (c) => cp1252High[c.charCodeAt(0) - 0x80]!) : text;
}

/** Decodes bytes in a MIME charset; an unknown or missing charset falls back to UTF-8. */
export function decodeCharset(bytes: Buffer, charset: string): string {
  const label = charset.trim().toLowerCase() || 'utf-8';
  // Mail labelled us-ascii is very often UTF-8 in practice; UTF-8 decodes real ASCII identically.
  if (label === 'us-ascii' || label === 'ascii') return bytes.toString('utf8');
  try {
    const decoder = new TextDecoder(label);
    return decoder.encoding === 'windows-1252' ? decodeWindows1252(bytes) : decoder.decode(bytes);
  } catch {
    // An unknown label: RangeError from the constructor.
    return bytes.toString('utf8');
  }
}

/** RFC 2047 encoded words decoded; the input unchanged when it has none or they are broken. */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}
