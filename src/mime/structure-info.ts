import { paramValue, type MimeNode } from './mime-tree.js';

/** One node of the web UI's "MIME structure" tree. */
export interface MimePartInfo {
  /** IMAP part number (`''` for the whole message, `1.2`, ...). An encapsulated message shares its part's path. */
  path: string;
  /** `type/subtype`, lower-cased. */
  contentType: string;
  charset: string | null;
  /** Content-Transfer-Encoding, lower-cased, or null when absent (7bit). */
  encoding: string | null;
  /** `inline`, `attachment`, ... or null. */
  disposition: string | null;
  /** Decoded: Content-Disposition filename, else Content-Type name. */
  filename: string | null;
  /** Without the angle brackets. */
  contentId: string | null;
  /** Body octets (still transfer-encoded). */
  size: number;
  children: MimePartInfo[];
}

/**
 * JSON for the web UI: the tree with the facts a person looks for. A message/rfc822 part has the encapsulated
 * message as its single child.
 */
export function describeStructure(node: MimeNode): MimePartInfo {
  const children = node.children.length > 0 ? node.children : node.message ? [node.message] : [];
  return {
    path: node.path,
    contentType: `${node.type}/${node.subtype}`,
    charset: paramValue(node.params, 'charset'),
    encoding: node.encoding,
    disposition: node.disposition?.type ?? null,
    filename: (node.disposition && paramValue(node.disposition.params, 'filename')) ?? paramValue(node.params, 'name'),
    contentId: node.id ? node.id.replace(/^\s*<|>\s*$/g, '') : null,
    size: node.size,
    children: children.map(describeStructure),
  };
}
