import type { MimeNode } from './mime-tree.js';

/**
 * BODY[section] (RFC 3501 §6.4.5 and §9):
 *   section-spec = section-msgtext / (section-part ["." section-text])
 *   section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
 *   section-text = section-msgtext / "MIME"
 */

export type SectionKind = 'all' | 'header' | 'header.fields' | 'header.fields.not' | 'text' | 'mime';

export interface BodySection {
  /** Part numbers, `[]` for the whole message (`1.2.MIME` → `[1, 2]`). */
  part: number[];
  kind: SectionKind;
  /** Header names for HEADER.FIELDS[.NOT], as the client wrote them. */
  fields?: string[];
}

export class SectionSyntaxError extends Error {
  override name = 'SectionSyntaxError';
}

/** Part numbers are non-zero and bounded (the tree itself is limited to 50 levels). */
const maxPartDepth = 64;

/**
 * Parses the text between the brackets of `BODY[...]`. Throws SectionSyntaxError on bad syntax (the caller
 * answers BAD). Header names may be atoms or quoted strings.
 *
 * @example parseSection('1.2.HEADER.FIELDS (To "From")') // { part: [1, 2], kind: 'header.fields', fields: ['To', 'From'] }
 */
export function parseSection(spec: string): BodySection {
  const m = /^((?:[1-9]\d{0,8}\.)*[1-9]\d{0,8})?(?:(^|\.)([A-Za-z.]+))?(?:\s*\((.*)\))?\s*$/s.exec(spec.trim());
  if (!m) throw new SectionSyntaxError(`Bad section: ${spec}`);
  const part = m[1] ? m[1].split('.').map(Number) : [];
  if (part.length > maxPartDepth) throw new SectionSyntaxError('Section part too deep');
  const text = (m[3] ?? '').toUpperCase();
  const kind = kindOf(text, part.length > 0);
  const hasList = m[4] !== undefined;
  const wantsList = kind === 'header.fields' || kind === 'header.fields.not';
  if (hasList !== wantsList) throw new SectionSyntaxError(`Bad section: ${spec}`);
  if (!wantsList) return { part, kind };
  const fields = parseHeaderList(m[4]!);
  if (fields.length === 0) throw new SectionSyntaxError('Empty header list');
  return { part, kind, fields };
}

function kindOf(text: string, hasPart: boolean): SectionKind {
  switch (text) {
    case '':
      return 'all';
    case 'HEADER':
      return 'header';
    case 'HEADER.FIELDS':
      return 'header.fields';
    case 'HEADER.FIELDS.NOT':
      return 'header.fields.not';
    case 'TEXT':
      return 'text';
    case 'MIME':
      if (hasPart) return 'mime';
  }
  throw new SectionSyntaxError(`Bad section text: ${text}`);
}

function parseHeaderList(list: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^\s()"{}\\]+))/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(list)) !== null) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
    last = re.lastIndex;
  }
  if (list.slice(last).trim() !== '') throw new SectionSyntaxError(`Bad header list: ${list}`);
  return out;
}

/** The section as a server echoes it in the FETCH response: `1.2.HEADER.FIELDS (TO FROM)`. */
export function formatSection(section: BodySection): string {
  const text: Record<SectionKind, string> = {
    all: '',
    header: 'HEADER',
    'header.fields': 'HEADER.FIELDS',
    'header.fields.not': 'HEADER.FIELDS.NOT',
    text: 'TEXT',
    mime: 'MIME',
  };
  const parts = section.part.join('.');
  const sep = parts && text[section.kind] ? '.' : '';
  const list = section.fields ? ` (${section.fields.map(formatFieldName).join(' ')})` : '';
  return `${parts}${sep}${text[section.kind]}${list}`;
}

function formatFieldName(name: string): string {
  return /^[!#-'*+\-.0-9A-Z^-z|~]+$/i.test(name) ? name.toUpperCase() : `"${name.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The node a part number names, or null. Part 1 of a non-multipart message is its body; inside a
 * message/rfc822 part numbering continues in the encapsulated message (RFC 3501 §6.4.5).
 */
export function findPart(tree: MimeNode, part: readonly number[]): MimeNode | null {
  let node = tree;
  for (let i = 0; i < part.length; i++) {
    const n = part[i]!;
    let container: MimeNode;
    if (i === 0) container = tree;
    else if (node.children.length > 0) container = node;
    else if (node.message) container = node.message;
    else return null;
    if (container.children.length > 0) {
      const child = container.children[n - 1];
      if (!child) return null;
      node = child;
    } else if (n === 1) node = container;
    else return null;
  }
  return node;
}

const emptyBuffer = Buffer.alloc(0);

/**
 * The bytes of a section (RFC 3501 §6.4.5). A part that does not exist, or HEADER/TEXT of a part that is not
 * message/rfc822, gives an empty buffer. HEADER.FIELDS returns the matching fields verbatim plus the blank line.
 */
export function sectionBytes(raw: Buffer, tree: MimeNode, section: BodySection): Buffer {
  const node = findPart(tree, section.part);
  if (!node) return emptyBuffer;
  const isTop = section.part.length === 0;
  if (section.kind === 'all') return isTop ? raw.subarray(node.headerStart, node.end) : raw.subarray(node.bodyStart, node.end);
  if (section.kind === 'mime') return raw.subarray(node.headerStart, node.bodyStart);
  const message = isTop ? node : node.message;
  if (!message) return emptyBuffer;
  switch (section.kind) {
    case 'header':
      return raw.subarray(message.headerStart, message.bodyStart);
    case 'text':
      return raw.subarray(message.bodyStart, message.end);
    case 'header.fields':
    case 'header.fields.not':
      return headerFieldBytes(raw, message, section.fields ?? [], section.kind === 'header.fields.not');
  }
}

const crlf = Buffer.from('\r\n');

function headerFieldBytes(raw: Buffer, message: MimeNode, names: string[], exclude: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const chunks: Buffer[] = [];
  for (const f of message.headers) {
    if (wanted.has(f.name) === exclude) continue;
    chunks.push(raw.subarray(f.start, f.end));
    // A last field cut off by the end of the message still needs its line break before the blank line.
    if (raw[f.end - 1] !== 0x0a) chunks.push(crlf);
  }
  // The blank line is always included (RFC 3501 §6.4.5), even when no field matched.
  chunks.push(crlf);
  return Buffer.concat(chunks);
}

/**
 * `<start.count>` partial fetch: the octets from `start`, at most `count` of them (all when omitted).
 * A start past the end gives an empty buffer; the response then names the origin as `BODY[...]<start>`.
 */
export function partialBytes(bytes: Buffer, start: number, count?: number): Buffer {
  if (start >= bytes.length) return emptyBuffer;
  return bytes.subarray(start, count === undefined ? bytes.length : start + count);
}
