import { createHash } from 'node:crypto';
import { decodeCharset } from '../../mime/header-params.js';
import { findBodyStart, parseAddressList, parseHeaderFields } from '../../mime/header-summary.js';
import { paramValue, parseMimeTree, type MimeNode } from '../../mime/mime-tree.js';
import { htmlToReadableText } from '../../mime/readable-text.js';
import { transferDecode } from '../../mime/searchable-text.js';
import type { MessageStore } from '../../store/message-store.js';
import type { Address, StoredMessage } from '../../store/types.js';

// Mailpit's JSON shapes (its API v1 OpenAPI document, fixtures/mailpit-swagger.json) built from our store: pure
// functions of a stored message, so the adapter has no state of its own. PartIDs are IMAP part numbers, which is
// also how Mailpit numbers parts ("1", "2.1").

export interface MailpitAddress {
  Name: string;
  Address: string;
}

export interface MailpitAttachment {
  PartID: string;
  FileName: string;
  ContentType: string;
  ContentID: string;
  Size: number;
  Checksums: { MD5: string; SHA1: string; SHA256: string };
}

/** Characters of the list snippet, as Mailpit cuts it. */
const snippetLength = 250;
/** Encoded bytes of the body read for a snippet: a list or a WebSocket frame never decodes a whole large body. */
const snippetSourceBytes = 16 * 1024;

export function mailpitAddress(a: Address | null | undefined): MailpitAddress {
  return { Name: a?.name ?? '', Address: a?.address ?? '' };
}

/** The top-level header fields, names lower-cased, values raw and unfolded (a bounded header block). */
export function headerFields(m: StoredMessage): Array<[string, string]> {
  return parseHeaderFields(m.raw.subarray(0, Math.min(findBodyStart(m.raw), 256 * 1024)).toString('utf8'));
}

/** `Go`-style canonical names (`content-type` → `Content-Type`), as Mailpit's header map has them. */
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_s, dash: string, c: string) => dash + c.toUpperCase());
}

/** `GET /message/:id/headers`: every field by canonical name, values in order. */
export function headerMap(m: StoredMessage): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of headerFields(m)) (out[canonicalHeaderName(name)] ??= []).push(value);
  return { ...out };
}

function fieldAddresses(fields: Array<[string, string]>, name: string): MailpitAddress[] {
  return fields.filter(([n]) => n === name).flatMap(([, v]) => parseAddressList(v).map(mailpitAddress));
}

export interface MailpitParts {
  text: MimeNode | null;
  html: MimeNode | null;
  attachments: MimeNode[];
  inline: MimeNode[];
}

/**
 * The body parts and the files of a message: the first text/plain and text/html leaves that are not attachments
 * are the bodies; a leaf with a Content-ID that is not declared an attachment is inline (a cid: image); any other
 * file-like leaf (a non-text part, a named part, an attached message) is an attachment.
 */
export function partsOf(tree: MimeNode): MailpitParts {
  const parts: MailpitParts = { text: null, html: null, attachments: [], inline: [] };
  const visit = (node: MimeNode): void => {
    if (node.children.length > 0) return node.children.forEach(visit);
    const isAttachment = node.disposition?.type === 'attachment';
    const isBody = node.type === 'text' && !isAttachment && fileName(node) === '' && (node.subtype === 'plain' || node.subtype === 'html');
    if (isBody && node.subtype === 'plain' && !parts.text) parts.text = node;
    else if (isBody && node.subtype === 'html' && !parts.html) parts.html = node;
    else if (isBody) return;
    else if (node.id && !isAttachment) parts.inline.push(node);
    else parts.attachments.push(node);
  };
  visit(tree);
  return parts;
}

export function fileName(node: MimeNode): string {
  return paramValue(node.disposition?.params ?? [], 'filename') ?? paramValue(node.params, 'name') ?? '';
}

/** A part's decoded content (transfer encoding undone). */
export function partContent(raw: Buffer, node: MimeNode): Buffer {
  return transferDecode(raw.subarray(node.bodyStart, node.end), node.encoding);
}

function partText(raw: Buffer, node: MimeNode | null): string {
  return node ? decodeCharset(partContent(raw, node), paramValue(node.params, 'charset') ?? 'utf-8') : '';
}

/** The start of the text body (or of the HTML's text), whitespace collapsed, cut like Mailpit's snippet. */
function snippetOf(raw: Buffer, parts: MailpitParts): string {
  const node = parts.text ?? parts.html;
  if (!node) return '';
  // A cut through a multi-byte character or an escape only spoils the last character, which the cut drops anyway.
  const head = transferDecode(raw.subarray(node.bodyStart, Math.min(node.end, node.bodyStart + snippetSourceBytes)), node.encoding);
  const decoded = decodeCharset(head, paramValue(node.params, 'charset') ?? 'utf-8');
  const text = (node === parts.html ? htmlToReadableText(decoded) : decoded).replace(/\s+/g, ' ').trim();
  return text.length > snippetLength ? `${text.slice(0, snippetLength)}...` : text;
}

/** Finds a part by its PartID (`1`, `2.1`); null when there is none. */
export function partById(tree: MimeNode, id: string): MimeNode | null {
  if (!/^\d{1,5}(\.\d{1,5}){0,20}$/.test(id)) return null;
  const visit = (node: MimeNode): MimeNode | null => {
    if (node.path === id && node.children.length === 0) return node;
    for (const child of node.children) {
      const found = visit(child);
      if (found) return found;
    }
    return node.message ? visit(node.message) : null;
  };
  return visit(tree);
}

function attachmentOf(raw: Buffer, node: MimeNode): MailpitAttachment {
  const content = partContent(raw, node);
  const digest = (alg: string) => createHash(alg).update(content).digest('hex');
  return {
    PartID: node.path || '1',
    FileName: fileName(node),
    ContentType: `${node.type}/${node.subtype}`,
    ContentID: (node.id ?? '').replace(/^<|>$/g, ''),
    Size: content.length,
    Checksums: { MD5: digest('md5'), SHA1: digest('sha1'), SHA256: digest('sha256') },
  };
}

/** A list entry (`MessageSummary`). */
export function mailpitSummary(store: MessageStore, m: StoredMessage) {
  const parts = partsOf(parseMimeTree(m.raw));
  const fields = headerFields(m);
  return {
    ID: m.id,
    MessageID: m.summary.messageId,
    Read: store.isSeen(m),
    From: mailpitAddress(m.summary.from),
    To: m.summary.to.map(mailpitAddress),
    Cc: m.summary.cc.map(mailpitAddress),
    Bcc: fieldAddresses(fields, 'bcc'),
    ReplyTo: fieldAddresses(fields, 'reply-to'),
    Subject: m.summary.subject,
    Created: m.receivedAt.toISOString(),
    Username: m.connection.authUser ?? '',
    Tags: [...m.tags],
    Size: m.size,
    Attachments: parts.attachments.length,
    Snippet: snippetOf(m.raw, parts),
  };
}

/** The full message (`Message`): bodies, files with checksums, List-Unsubscribe. */
export function mailpitMessage(m: StoredMessage) {
  const tree = parseMimeTree(m.raw);
  const fields = headerFields(m);
  const first = (name: string) => fields.find(([n]) => n === name)?.[1] ?? '';
  const parts = partsOf(tree);
  const html = partText(m.raw, parts.html);
  const text = parts.text ? partText(m.raw, parts.text) : html ? htmlToReadableText(html) : '';
  const unsubscribe = first('list-unsubscribe');
  return {
    ID: m.id,
    MessageID: m.summary.messageId,
    From: mailpitAddress(m.summary.from),
    To: m.summary.to.map(mailpitAddress),
    Cc: m.summary.cc.map(mailpitAddress),
    Bcc: fieldAddresses(fields, 'bcc'),
    ReplyTo: fieldAddresses(fields, 'reply-to'),
    ReturnPath: first('return-path').replace(/^<|>$/g, '') || m.envelope.mailFrom,
    Subject: m.summary.subject,
    ListUnsubscribe: {
      Header: unsubscribe,
      HeaderPost: first('list-unsubscribe-post'),
      Links: [...unsubscribe.matchAll(/<([^>]+)>/g)].map((x) => x[1].trim()),
      Errors: '',
    },
    Date: (m.summary.date ?? m.receivedAt).toISOString(),
    Tags: [...m.tags],
    Username: m.connection.authUser ?? '',
    Text: text,
    HTML: html,
    Size: m.size,
    Inline: parts.inline.map((n) => attachmentOf(m.raw, n)),
    Attachments: parts.attachments.map((n) => attachmentOf(m.raw, n)),
  };
}
