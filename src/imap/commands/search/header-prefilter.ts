import { topHeaderFieldSpans } from '../../../mime/mime-tree.js';

/**
 * A probe that proves, from the field's own line (a byte scan for it, then one short string of it that dies at once,
 * nothing kept), that a header SEARCH key (FROM/TO/CC/BCC, SUBJECT, HEADER x) cannot match a message; the first
 * `SEARCH FROM x` over a folder just filled by a bulk APPEND made strings, arrays and a cache entry for every message
 * (and the scavenges that copy them) to find the 1 in 50 that matched.
 *
 * It answers "cannot match" only where the full path's answer is certain to be no match as well; anything it is
 * not sure of (8-bit text, encoded words, folded lines, address syntax beyond the simple shapes) is left to the full
 * path (HeaderFieldsCache and the matchers in evaluate.ts), so the answers are the same:
 * - a field's value there is its line unfolded, trimmed, RFC 2047 words decoded, lower-cased. For a one-line, ASCII
 *   field without `=?` that is a piece of the line, lower-cased: a needle absent from the line (ASCII case folded)
 *   is absent from the value;
 * - an address field is also matched against its parsed forms (`name <local@domain>` or `local@domain`). For a
 *   field of exactly parseAddressesFast's simple shape, a needle without blanks, `<` and `>` that is in a form lies
 *   within one word of the name or within `local@domain`, both in the line as written.
 */
export function cannotMatchHeader(raw: Buffer, field: string, needle: string, isAddress: boolean): boolean {
  return headerProbe(field, needle, isAddress)?.(raw) ?? false;
}

/**
 * cannotMatchHeader for one key, its checks on the needle done once per search rather than once per message:
 * null when the needle is not one it can judge (not ASCII, empty, or with blanks, `<` or `>` for an address).
 */
export function headerProbe(field: string, needle: string, isAddress: boolean): ((raw: Buffer) => boolean) | null {
  // Only an ASCII needle folds the same way in every case; an empty one matches every field present.
  if (needle.length === 0 || !asciiOnly.test(needle)) return null;
  if (isAddress && /[ \t<>]/.test(needle)) return null;
  // Tested only against a line of printable ASCII (the shapes below), where `i` folds ASCII case and nothing else:
  // the line's lower-cased copy need not be made.
  const needlePattern = new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  const shape = isAddress ? simpleAddressLine : plainLine;
  return (raw) => {
    const spans = topHeaderFieldSpans(raw, field);
    if (spans === null) return false;
    // Native string work (a short string per field, dead at once) rather than loops over bytes: the first search
    // after a bulk APPEND runs before the JIT has optimised anything, where each step of a byte loop costs.
    for (let i = 0; i < spans.length; i += 3) {
      const line = raw.toString('latin1', spans[i + 1], spans[i + 2]);
      if (!shape.test(line) || needlePattern.test(line)) return false;
    }
    return true;
  };
}

const asciiOnly = /^[\x00-\x7e]*$/;

/**
 * One line (its own line break at most: a folded field leaves it to the full path) of printable ASCII and tabs,
 * without `=?` (an encoded word would be decoded).
 */
const plainLine = /^(?:[\t\x20-\x3c\x3e-\x7e]|=(?!\?))*\r?\n?$/;

/**
 * The shapes parseAddressesFast reads itself (its regex, as one line): `local@domain` or `Plain Name <local@domain>`.
 * Name words of [A-Za-z0-9_'+-], local part atoms of [A-Za-z0-9_+-] joined by dots, domain labels of [A-Za-z0-9-].
 */
const simpleAddressLine = /^[ \t]*(?:(?:[A-Za-z0-9_'+-]+(?:[ \t]+[A-Za-z0-9_'+-]+)*[ \t]*)?<[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>|[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)[ \t]*\r?\n?$/;
