/**
 * Links and one-time codes found in a message, so a test can "click" a reset link or type a code.
 *
 * Everything here runs on attacker-controlled text: input is capped at {@link maxScanLength} and every regex is
 * linear (no nested or adjacent overlapping quantifiers), so a hostile message can't make a lookup slow.
 */

/** Characters of text/HTML scanned; a verification mail is a few KB, a hostile one can be megabytes. */
export const maxScanLength = 256 * 1024;
/** At most this many links/codes are returned. */
export const maxLinks = 500;
export const maxCodes = 20;

const hrefPattern = /\bhref[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
const textUrlPattern = /\bhttps?:\/\/[^\s<>"'`{}|\\^[\]]+/gi;
/** Closing punctuation that ends a sentence rather than the URL ("see https://x.test/a."). */
const trailingPunctuation = /[.,;:!?*'")\]]+$/;

/** URLs in HTML hrefs (in order), then those in the text, unique. Only http(s): mailto/javascript/cid are not links to follow. */
export function extractLinks(text: string | null, html: string | null): string[] {
  const seen = new Set<string>();
  const add = (url: string) => {
    if (seen.size < maxLinks && /^https?:\/\/[^\s]/i.test(url)) seen.add(url);
  };
  if (html) {
    for (const m of html.slice(0, maxScanLength).matchAll(hrefPattern)) add(decodeEntities((m[1] ?? m[2] ?? m[3]).trim()));
  }
  if (text) {
    // Text generated from HTML shows images as `[src]`; an image's URL is not a link to follow.
    const images = html ? imageSources(html) : new Set<string>();
    for (const m of text.slice(0, maxScanLength).matchAll(textUrlPattern)) {
      const url = trimUrl(m[0]);
      if (!images.has(url)) add(url);
    }
  }
  return [...seen];
}

/**
 * An `<img` tag's attributes, up to the next `<` or `>`: consecutive matches never overlap, so a page of unclosed
 * `<img` tags is still read once. The `src` is then looked for inside each tag.
 */
const imgTagPattern = /<img\b([^<>]*)/gi;
const srcPattern = /\bsrc[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;

function imageSources(html: string): Set<string> {
  const out = new Set<string>();
  for (const tag of html.slice(0, maxScanLength).matchAll(imgTagPattern)) {
    const m = srcPattern.exec(tag[1]);
    if (m) out.add(decodeEntities((m[1] ?? m[2] ?? m[3]).trim()));
  }
  return out;
}

/** Drops trailing sentence punctuation, but keeps a `)` that closes a `(` inside the URL (Wikipedia-style links). */
function trimUrl(url: string): string {
  let out = url.replace(trailingPunctuation, '');
  const opens = out.split('(').length - 1;
  const closes = out.split(')').length - 1;
  if (opens > closes && url.length > out.length && url[out.length] === ')') out += ')';
  return out;
}

const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#x2F': '/', '#47': '/', '#61': '=', '#x3D': '=' };

/** `&amp;` in an href is the commonest case (query strings); numeric forms are decoded too. */
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (whole, name: string) => {
    if (namedEntities[name] !== undefined) return namedEntities[name];
    const lower = name.toLowerCase();
    if (namedEntities[lower] !== undefined) return namedEntities[lower];
    const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : lower.startsWith('#') ? parseInt(lower.slice(1), 10) : NaN;
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** Words that announce a one-time code. Alternation of literals only: linear. */
const keywordPattern =
  /\b(?:codes?|otp|verif(?:y|ied|ication)|passcode|pin|token|one[- ]time|2fa|mfa|two[- ]factor|authenticat(?:e|ion|or)|confirm(?:ation)?|security|login|sign[- ]in)\b/gi;
/**
 * Maximal alphanumeric runs, optionally two joined by one hyphen (`123-456`, `G-482913`). The boundary rules are
 * applied by looking at the neighbours, not by the regex; `+` runs can't overlap a `-`, so it stays linear.
 */
const tokenPattern = /[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?/g;
/** How close (characters) a token must be to a keyword. */
const window = 100;
/** A token preceded by one of these is part of something else (URL path, query, e-mail, price, id). */
const badBefore = new Set(['/', '.', '@', '-', '_', '=', '&', '?', '#', '$', '€', '£', '%', '+', '\\']);
/** Followed by one of these, likewise (e-mail, path, date, percentage). */
const badAfter = new Set(['@', '/', '-', '_', '=', '%', '\\']);

/**
 * Likely one-time codes: 4–8 digit tokens, or 4–8 letter+digit tokens with at least one digit, within
 * {@link window} characters of a word such as "code", "OTP", "verification", "PIN", "one-time".
 * Tokens inside URLs, e-mail addresses, dates, decimals and prices are skipped. Unique, in order of appearance.
 * @example extractCodes('Your verification code is 482913.') // ['482913']
 */
export function extractCodes(text: string): string[] {
  const input = text.slice(0, maxScanLength);
  const keywords: number[] = [];
  for (const m of input.matchAll(keywordPattern)) keywords.push(m.index);
  if (keywords.length === 0) return [];
  const found = new Set<string>();
  let k = 0;
  for (const m of input.matchAll(tokenPattern)) {
    const token = codeOf(m[0]);
    const start = m.index;
    if (token === null || !isStandalone(input, start, start + m[0].length)) continue;
    // Keyword positions are ascending, and so are token positions: advance one pointer (linear overall).
    while (k < keywords.length && keywords[k] < start - window) k++;
    if (k < keywords.length && keywords[k] <= start + token.length + window) found.add(token);
    if (found.size >= maxCodes) break;
  }
  return [...found];
}

/**
 * The code a token stands for, or null: 4–8 characters with a digit; `123-456` / `AB12-CD34` (two halves of 3–4)
 * as written; `G-482913` (Google's letter prefix) as the digits people type.
 */
function codeOf(token: string): string | null {
  const dash = token.indexOf('-');
  if (dash < 0) return token.length >= 4 && token.length <= 8 && /\d/.test(token) ? token : null;
  const [a, b] = [token.slice(0, dash), token.slice(dash + 1)];
  if (/^[A-Z]$/.test(a) && /^\d{4,8}$/.test(b)) return b;
  return a.length >= 3 && a.length <= 4 && b.length >= 3 && b.length <= 4 && /\d/.test(token) ? token : null;
}

function isStandalone(s: string, start: number, end: number): boolean {
  const before = start > 0 ? s[start - 1] : '';
  const after = end < s.length ? s[end] : '';
  if (badBefore.has(before) || badAfter.has(after)) return false;
  // "1.5", "1,234", "10:30": punctuation followed by more alphanumerics continues the token.
  if ((after === '.' || after === ',' || after === ':') && /[A-Za-z0-9]/.test(s[end + 1] ?? '')) return false;
  if ((before === ':' || before === ',') && /[0-9]/.test(s[start - 2] ?? '')) return false;
  return true;
}
