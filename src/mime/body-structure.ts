import { envelopeOf } from './envelope.js';
import { run, type ImapValue } from './imap-value.js';
import type { MimeNode, MimeParam } from './mime-tree.js';

/**
 * IMAP BODY (`extended` false) and BODYSTRUCTURE (`extended` true), RFC 3501 §7.4.2 and §9 `body`.
 *
 * Case convention (one rule, everywhere): the case-insensitive tokens — media type, subtype, parameter names,
 * transfer encoding, disposition type — are sent UPPER-CASE (`"TEXT" "PLAIN" ("CHARSET" "utf-8")`); values
 * (parameter values, ids, descriptions, languages, locations) are sent exactly as the header had them.
 * Parameters are sent with RFC 2231 continuations merged but still encoded (`"FILENAME*" "utf-8''%C3%A4.pdf"`).
 * A part with no Content-Type at all gets `("CHARSET" "US-ASCII")` (RFC 2045 §5.2 default); one whose
 * Content-Type has no parameters gets NIL. Missing Content-Transfer-Encoding is `"7BIT"`.
 *
 * @example formatImapValue(bodyStructureOf(parseMimeTree(raw), true))
 * // ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL)
 */
export function bodyStructureOf(node: MimeNode, extended: boolean): ImapValue {
  return node.children.length > 0 ? multipartOf(node, extended) : singlePartOf(node, extended);
}

function multipartOf(node: MimeNode, extended: boolean): ImapValue {
  // `1*body SP media-subtype`: the parts are not separated by spaces.
  const out: ImapValue[] = [run(node.children.map((child) => bodyStructureOf(child, extended)))];
  out.push(node.subtype.toUpperCase());
  if (extended) out.push(paramsOf(node.params), dispositionOf(node), languageOf(node), node.location);
  return out;
}

function singlePartOf(node: MimeNode, extended: boolean): ImapValue {
  const out: ImapValue[] = [
    node.type.toUpperCase(),
    node.subtype.toUpperCase(),
    node.hasContentType ? paramsOf(node.params) : defaultParams(node),
    node.id,
    node.description,
    (node.encoding ?? '7bit').toUpperCase(),
    node.size,
  ];
  if (node.message && node.type === 'message' && node.subtype === 'rfc822') {
    out.push(envelopeOf(node.message), bodyStructureOf(node.message, extended), node.lines);
  } else if (node.type === 'text') {
    out.push(node.lines);
  }
  if (extended) out.push(node.md5, dispositionOf(node), languageOf(node), node.location);
  return out;
}

function defaultParams(node: MimeNode): ImapValue {
  return node.type === 'text' ? ['CHARSET', 'US-ASCII'] : null;
}

/** `("NAME" "value" ...)`, or NIL when there are none (RFC 3501 forbids an empty list here). */
function paramsOf(params: readonly MimeParam[]): ImapValue {
  if (params.length === 0) return null;
  const out: ImapValue[] = [];
  for (const p of params) out.push(p.wireName.toUpperCase(), p.wireValue);
  return out;
}

function dispositionOf(node: MimeNode): ImapValue {
  if (!node.disposition) return null;
  return [node.disposition.type.toUpperCase(), paramsOf(node.disposition.params)];
}

/** One language as a string, several as a list (`body-fld-lang` allows both). */
function languageOf(node: MimeNode): ImapValue {
  const langs = node.language;
  if (!langs || langs.length === 0) return null;
  return langs.length === 1 ? langs[0]! : langs;
}
