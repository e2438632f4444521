import { parseMimeTree, type MimeNode } from './mime-tree.js';

/**
 * What an IMAP APPEND with a literal8 (RFC 3516 §4.3) stores: every part declared `Content-Transfer-Encoding:
 * binary` that is not a multipart is re-encoded as base64 (76-character lines) and its header says `base64`,
 * as Dovecot does. RFC 3516 lets a server change the transfer encoding as long as nothing is lost: BINARY[part]
 * gives back the exact bytes sent, while BODY[] (and POP3, the API, the UI) carry only 7-bit-safe text.
 * Everything else stays byte for byte. Pure; a message with no such part is returned as it is.
 *
 * @example encodeBinaryParts(Buffer.from('Content-Transfer-Encoding: binary\r\n\r\n\0')).toString() // 'Content-Transfer-Encoding: base64\r\n\r\nAA=='
 */
export function encodeBinaryParts(raw: Buffer): Buffer {
  const edits: Array<{ start: number; end: number; bytes: Buffer }> = [];
  collect(parseMimeTree(raw), raw, edits);
  if (edits.length === 0) return raw;
  edits.sort((a, b) => a.start - b.start);
  const out: Buffer[] = [];
  let at = 0;
  for (const e of edits) {
    out.push(raw.subarray(at, e.start), e.bytes);
    at = e.end;
  }
  out.push(raw.subarray(at));
  return Buffer.concat(out);
}

const cteHeader = Buffer.from('Content-Transfer-Encoding: base64\r\n', 'latin1');

function collect(node: MimeNode, raw: Buffer, edits: Array<{ start: number; end: number; bytes: Buffer }>): void {
  // Some clients label a multipart `binary`; its parts say for themselves (Dovecot leaves it too).
  if (node.encoding === 'binary' && node.children.length === 0) {
    const fields = node.headers.filter((h) => h.name === 'content-transfer-encoding');
    fields.forEach((h, i) => edits.push({ start: h.start, end: h.end, bytes: i === 0 ? cteHeader : Buffer.alloc(0) }));
    edits.push({ start: node.bodyStart, end: node.end, bytes: base64Lines(raw.subarray(node.bodyStart, node.end)) });
    return;
  }
  for (const child of node.children) collect(child, raw, edits);
  if (node.message) collect(node.message, raw, edits);
}

/** Base64 in lines of 76 characters (RFC 2045 §6.8), CRLF between them, none after the last. */
function base64Lines(bytes: Buffer): Buffer {
  const text = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

const cteBinaryHeader = Buffer.from('Content-Transfer-Encoding: binary\r\n', 'latin1');

/**
 * An entity as FETCH BINARY sends it (RFC 3516 §4.2), shaped as Dovecot shapes it: every leaf part's content goes
 * through `decodeLeaf` (its transfer encoding undone), and a part whose bytes changed says `Content-Transfer-Encoding:
 * binary` at the end of its header instead of what it said; boundaries, preambles and every other byte stay. So
 * BINARY[] of a message appended with a literal8 is the message as it was sent, but for where that header sits.
 * `includeHeader` is false for the entity's own header (BINARY[2] is a part's content, BINARY[] the whole message).
 */
export function binaryEntity(raw: Buffer, node: MimeNode, includeHeader: boolean, decodeLeaf: (leaf: MimeNode) => Buffer): Buffer {
  const header = raw.subarray(node.headerStart, node.bodyStart);
  if (!node.message && node.children.length === 0) {
    const body = raw.subarray(node.bodyStart, node.end);
    const decoded = decodeLeaf(node);
    if (!includeHeader) return decoded;
    if (decoded.equals(body)) return raw.subarray(node.headerStart, node.end);
    return Buffer.concat([withBinaryCte(raw, node), decoded]);
  }
  const out: Buffer[] = includeHeader ? [header] : [];
  if (node.message) {
    out.push(binaryEntity(raw, node.message, true, decodeLeaf));
    return Buffer.concat(out);
  }
  let at = node.bodyStart;
  for (const child of node.children) {
    out.push(raw.subarray(at, child.headerStart), binaryEntity(raw, child, true, decodeLeaf));
    at = child.end;
  }
  out.push(raw.subarray(at, node.end));
  return Buffer.concat(out);
}

/** The part's header without its Content-Transfer-Encoding fields, `binary` added before the blank line. */
function withBinaryCte(raw: Buffer, node: MimeNode): Buffer {
  const out: Buffer[] = [];
  let at = node.headerStart;
  for (const h of node.headers) {
    if (h.name !== 'content-transfer-encoding') continue;
    out.push(raw.subarray(at, h.start));
    at = h.end;
  }
  const last = node.headers.length > 0 ? node.headers[node.headers.length - 1].end : node.headerStart;
  out.push(raw.subarray(at, Math.max(at, last)), cteBinaryHeader, raw.subarray(Math.max(at, last), node.bodyStart));
  return Buffer.concat(out);
}
