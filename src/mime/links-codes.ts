/**
 * Links and one-time codes found in a message, so a test can "click" a reset link or type a code.
 *
 * Links: http(s) URLs only, HTML hrefs first (entities decoded: `&amp;` → `&`), then URLs in the text without the
 * sentence punctuation around them, unique, exactly as written otherwise — a tracking redirect stays the redirect,
 * since that is what a user clicks. `mailto:`, `tel:`, `javascript:`, `cid:` and `#anchors` are not links to follow,
 * and only `<a>`/`<area>` hrefs count (not `<base>`, `<link>` or `data-href`).
 *
 * Everything here runs on attacker-controlled text: input is capped at {@link maxScanLength} and every regex is
 * linear (no nested or adjacent overlapping quantifiers), so a hostile message can't make a lookup slow.
 */

/** Characters of text/HTML scanned; a verification mail is a few KB, a hostile one can be megabytes. */
export const maxScanLength = 256 * 1024;
/** At most this many links/codes are returned. */
export const maxLinks = 500;
export const maxCodes = 20;

/**
 * An `<a>` or `<area>` tag's attributes (read like `<img`, below); the `href` is then looked for inside. Other hrefs
 * are not links a user clicks: `<base>`, `<link rel=stylesheet>` (web fonts in most templates), `data-href`, VML.
 */
const anchorTagPattern = /<(?:a|area)\b([^<>]*)/gi;
const hrefPattern = /(?:^|[\s"'/])href[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;
const textUrlPattern = /\bhttps?:\/\/[^\s<>"'`{}|\\^[\]]+/gi;
/**
 * Closing punctuation that ends a sentence rather than the URL ("see https://x.test/a.", „https://x.test/b“, in any
 * script). Stripped by scanning back from the end: `/[.,;:!?*'")\]]+$/` is quadratic on a URL with a long run of
 * these in the middle.
 */
const trailingPunctuation = new Set([...'.,;:!?*\'")]', ...'“”„‘’»«›‹…。，、）」』】']);

/** URLs in HTML hrefs (in order), then those in the text, unique (see the file header). */
export function extractLinks(text: string | null, html: string | null): string[] {
  const seen = new Set<string>();
  const add = (url: string) => {
    if (seen.size < maxLinks && /^https?:\/\/[^\s]/i.test(url)) seen.add(url);
  };
  if (html) {
    for (const tag of html.slice(0, maxScanLength).matchAll(anchorTagPattern)) {
      const m = hrefPattern.exec(tag[1]);
      if (m) add(decodeEntities((m[1] ?? m[2] ?? m[3]).trim()));
    }
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
  let end = url.length;
  while (end > 0 && trailingPunctuation.has(url[end - 1]!)) end--;
  let out = url.slice(0, end);
  const opens = out.split('(').length - 1;
  const closes = out.split(')').length - 1;
  if (opens > closes && url.length > out.length && url[out.length] === ')') out += ')';
  return out;
}

const namedEntities: Record<string, string> = { nbsp: '\u00a0', copy: '©', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#x2F': '/', '#47': '/', '#61': '=', '#x3D': '=' };

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

/*
 * One-time codes. The text is cut into maximal letter/digit runs; a run (or `123-456`, or `520 417`) that looks like
 * a code is kept when a keyword ("code", "OTP", "Bestätigungscode", "código", "код", …) is in the same sentence or
 * line, or introduces it ("Your code:\n\n482913"). Numbers that are something else — phone numbers, postcodes, years,
 * order/tracking numbers, prices — are dropped. Promo, coupon, voucher and gift codes are marketing, not one-time
 * codes, so "promo code" (and "zip code", "bar code", "code postal", …) is not a keyword: a newsletter gives [].
 * "Confirm" words count only for a code before them ("Enter 482913 to confirm"), since "Order confirmation" is
 * followed by an order number. Letter codes must be upper case (`K7Q2XP`): `mp4`, `utf8`, `14px` are not codes.
 */

/** Exact keywords (lower case). */
const keywordWords = new Set([
  'code', 'codes', 'otp', 'passcode', 'passcodes', 'pin', 'tan', 'token', '2fa', 'mfa',
  'código', 'codigo', 'códigos', 'codigos', 'codice', 'codici', 'kod', 'kodu', 'kodem', 'kody',
  'код', 'кода', 'коду', 'кодом', 'коды', 'пароль', 'einmalpasswort',
]);
/** Keyword stems: verification, Verifizierung, vérification, verificación, verificação, weryfikacyjny, подтверждения… */
const keywordStems = ['verif', 'authentica', 'authentifi', 'weryfik', 'jednorazow', 'подтвержд', 'верификац', 'одноразов'];
/** Confirm, bestätigen, confirmar, confermare, bevestigen, potwierdzić: only a code before them counts. */
const weakStems = ['confirm', 'bestätig', 'conferm', 'bevestig', 'potwierd'];
/** Compounds ending in "code" that are not one-time codes (German/Dutch/English write them as one word). */
const notCodeCompounds = new Set([
  'postcode', 'zipcode', 'barcode', 'qrcode', 'promocode', 'sourcecode', 'quellcode', 'gutscheincode', 'rabattcode',
  'aktionscode', 'couponcode', 'vouchercode', 'kortingscode', 'promotiecode', 'kadocode', 'промокод', 'штрихкод',
]);
/** "<word> code" that is not a one-time code. */
const notCodeBefore = new Set([
  'zip', 'post', 'postal', 'bar', 'qr', 'area', 'country', 'dialing', 'dialling', 'source', 'promo', 'promotional',
  'discount', 'coupon', 'voucher', 'gift', 'referral', 'tracking', 'color', 'colour', 'dress', 'error', 'status',
  'http', 'swift', 'bank', 'sort', 'tax', 'product', 'почтовый', 'штрих',
]);
/** "code <word>" / "código de <word>" that is not a one-time code. */
const notCodeAfter = new Set([
  'postal', 'postale', 'fiscale', 'promo', 'promocional', 'promocionais', 'pocztowy', 'rabatowy', 'promocyjny',
  'descuento', 'promoción', 'promocion', 'réduction', 'reduction', 'suivi', 'desconto', 'rastreamento', 'seguimiento',
  'barras', 'sconto', 'regalo', 'cadeau', 'parrainage', 'conduct', 'practice', 'ethics',
]);
/** A number right after one of these words is an identifier, not a code ("Order 12345678", "n° 4567", "PLZ 10115"). */
const idNouns = new Set([
  'order', 'number', 'no', 'nr', 'n', 'nº', 'num', 'ref', 'reference', 'invoice', 'ticket', 'case', 'booking',
  'reservation', 'account', 'customer', 'tracking', 'shipment', 'parcel', 'package', 'transaction', 'receipt', 'phone',
  'tel', 'fax', 'mobile', 'call', 'zip', 'postcode', 'apt', 'suite', 'unit', 'box', 'bestellung', 'bestellnummer',
  'auftrag', 'auftragsnummer', 'rechnung', 'rechnungsnummer', 'kundennummer', 'sendungsnummer', 'nummer', 'plz',
  'postleitzahl', 'telefon', 'commande', 'facture', 'numéro', 'colis', 'cp', 'téléphone', 'pedido', 'número', 'numero',
  'factura', 'envío', 'teléfono', 'encomenda', 'telefone', 'ordine', 'bestelling', 'bestelnummer', 'ordernummer',
  'zamówienie', 'zamówienia', 'numer', 'заказ', 'заказа', 'номер', 'телефон', 'индекс', 'º', 'hotline', 'fon',
  'tél', 'тел', 'support', 'id', 'member', 'total', 'summe', 'betrag', 'montant', 'importe', 'итого', 'сумма',
]);
/** A number followed by one of these is an amount or a size. */
const unitWords = new Set([
  'eur', 'euro', 'euros', 'usd', 'gbp', 'chf', 'pln', 'zł', 'rub', 'руб', 'рублей', 'dollars', 'px', 'kb', 'mb', 'gb',
  'km', 'kg', 'ms', 'min', 'minutes', 'minuten', 'minutos', 'минут', 'hours', 'stunden', 'heures', 'horas',
]);

/** How close (characters) a token must be to a keyword. */
const window = 100;
/** A token preceded by one of these is part of something else (URL path, query, e-mail, price, id). */
const badBefore = new Set(['/', '.', '@', '-', '_', '=', '&', '?', '#', '№', '$', '€', '£', '¥', '₽', '%', '+', '\\', '°']);
/** Followed by one of these, likewise (e-mail, path, date, percentage, price). */
const badAfter = new Set(['@', '/', '-', '_', '=', '%', '\\', '€', '$', '£', '₽']);
/** Tokens near a keyword examined per text; each costs at most O(window), so a hostile message stays cheap. */
const maxCandidates = 1000;

interface Run {
  text: string;
  start: number;
  end: number;
}
interface Candidate {
  code: string;
  first: number;
  last: number;
}
interface Ranked {
  code: string;
  tier: number;
  order: number;
}

/** Maximal letter/digit runs (`+` over one class: linear). */
const runPattern = /[\p{L}\p{M}\p{N}]+/gu;

/**
 * Likely one-time codes: 4–8 digits, or 4–8 upper-case letters and digits with at least one digit, near a keyword
 * in English, German, French, Spanish, Portuguese, Italian, Dutch, Polish or Russian. `html` (tags dropped, entities
 * decoded) is scanned after `text`, so a code in a table cell that HTML-to-text glued to its label is still found.
 * Most likely first: right after the keyword, then later in its sentence, then before it, then alone on a line below
 * it; unique. A mail without a code gives [].
 * @example extractCodes('Your verification code is 482913.') // ['482913']
 */
export function extractCodes(text: string, html?: string | null): string[] {
  const ranked: Ranked[] = [];
  const segments = [text.slice(0, maxScanLength), html ? htmlToText(html) : ''];
  for (const segment of segments) rankCodes(segment, ranked);
  ranked.sort((a, b) => a.tier - b.tier || a.order - b.order);
  return [...new Set(ranked.map((r) => r.code))].slice(0, maxCodes);
}

function rankCodes(s: string, out: Ranked[]): void {
  const runs = Array.from(s.matchAll(runPattern), (m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
  const kinds = runs.map((_r, i) => keywordKind(s, runs, i));
  const keywords = runs.filter((_r, i) => kinds[i] === 'strong');
  // "Enter 482913 to confirm": a confirm word names a code before it; after it comes an order number.
  const trailing = runs.filter((_r, i) => kinds[i] !== null);
  if (trailing.length === 0) return;
  let [k, t] = [0, 0];
  let examined = 0;
  for (const c of candidates(s, runs)) {
    const start = runs[c.first].start;
    const end = runs[c.last].end;
    // Keyword and candidate positions both ascend: one pointer (linear overall).
    while (k < keywords.length && keywords[k].end <= start) k++;
    while (t < trailing.length && trailing[t].end <= start) t++;
    const tier = tierOf(s, start, end, keywords[k - 1], trailing[t]);
    if (tier === null) continue;
    if (!looksLikeSomethingElse(s, runs, c, tier)) out.push({ code: c.code, tier, order: out.length });
    // Only tokens near a keyword count, so a long table of numbers before the code doesn't use up the budget.
    if (++examined >= maxCandidates) return;
  }
}

/** "strong": a code may follow or precede it; "weak" (confirm…): only precede it; null: not a keyword. */
function keywordKind(s: string, runs: Run[], i: number): 'strong' | 'weak' | null {
  const word = runs[i].text.toLowerCase();
  if (word.length > 40) return null;
  const prev = adjacentWord(s, runs, i - 1, runs[i].start, /^[ -]$/);
  if ((word === 'time' && prev === 'one') || (word === 'factor' && prev === 'two')) return 'strong';
  if (keywordStems.some((stem) => word.startsWith(stem))) return 'strong';
  // Checked before the weak stems: "Bestätigungscode" is a code word.
  if (keywordWords.has(word) || /(?:code[sn]?|код|passwort)$/.test(word)) return isOneTimeCode(s, runs, i, word, prev) ? 'strong' : null;
  return weakStems.some((stem) => word.startsWith(stem)) ? 'weak' : null;
}

/** A code word that is not "promo code", "zip code", "code postal", "código de descuento", "code of conduct"… */
function isOneTimeCode(s: string, runs: Run[], i: number, word: string, prev: string | null): boolean {
  if (notCodeCompounds.has(word) || notCodeBefore.has(prev ?? '')) return false;
  const next = adjacentWord(s, runs, i + 1, runs[i].end, /^\s{1,2}$/);
  const linked = next === 'de' || next === 'di' || next === 'da' || next === 'of';
  const afterLink = linked ? adjacentWord(s, runs, i + 2, runs[i + 1].end, /^\s{1,2}$/) : null;
  return !notCodeAfter.has(next ?? '') && !notCodeAfter.has(afterLink ?? '');
}

/** Run `j` in lower case when the text between it and `edge` (a neighbour's boundary) matches `gap`. */
function adjacentWord(s: string, runs: Run[], j: number, edge: number, gap: RegExp): string | null {
  const r = runs[j];
  if (r === undefined || r.text.length > 40) return null;
  const between = r.end <= edge ? s.slice(r.end, edge) : s.slice(edge, r.start);
  return between.length <= 4 && gap.test(between) ? r.text.toLowerCase() : null;
}

/** Code-shaped tokens in order: single runs, `123-456` pairs, and digits grouped by spaces ({@link groupedCode}). */
function* candidates(s: string, runs: Run[]): Generator<Candidate> {
  const joined = (j: number, sep: RegExp) => j + 1 < runs.length && runs[j + 1].start === runs[j].end + 1 && sep.test(s[runs[j].end]);
  const digits = (j: number) => /^\d+$/.test(runs[j].text);
  for (let i = 0; i < runs.length; i++) {
    let j = i;
    if (joined(i, /-/)) {
      while (joined(j, /-/)) j++;
      // Three or more parts is a date or an id (2026-11-26), never a code.
      const code = j === i + 1 ? pairCode(runs[i].text, runs[j].text) : null;
      if (code !== null) yield { code, first: i, last: j };
    } else if (digits(i) && joined(i, /[ \u00a0\u202f\u2009]/) && digits(i + 1)) {
      while (joined(j, /[ \u00a0\u202f\u2009]/) && digits(j + 1) && !joined(j + 1, /-/)) j++;
      const groups = runs.slice(i, j + 1).map((r) => r.text);
      const typed = groupedCode(groups);
      if (typed !== null) yield { code: typed, first: i, last: j };
      // A list of same-length codes ("3333 4444"); anything else grouped is a phone, card or account number.
      else if (groups.length <= 3 && groups.every((g) => g.length >= 4 && g.length <= 8 && g.length === groups[0].length)) {
        for (let g = i; g <= j; g++) yield { code: runs[g].text, first: g, last: g };
      }
    } else {
      const code = singleCode(runs[i].text);
      if (code !== null) yield { code, first: i, last: i };
    }
    i = j;
  }
}

/** `520 417`, `52 04 17`, `8 4 1 2 9 3`: one code, typed without the spaces. Other groupings are phone numbers. */
function groupedCode(groups: string[]): string | null {
  const size = groups[0].length;
  if (!groups.every((g) => g.length === size)) return null;
  const ok = (size === 1 && groups.length >= 4 && groups.length <= 8) || (size === 2 && groups.length === 3) || (size === 3 && groups.length === 2);
  return ok ? groups.join('') : null;
}

function singleCode(token: string): string | null {
  return /^[0-9A-Z]{4,8}$/.test(token) && /\d/.test(token) ? token : null;
}

/** `123-456` / `AB12-CD34` (halves of 3–4) as written; `G-482913` (Google's prefix) as the digits people type. */
function pairCode(a: string, b: string): string | null {
  if (/^[A-Z]$/.test(a) && /^\d{4,8}$/.test(b)) return b;
  if (!/^[0-9A-Z]{3,4}$/.test(a) || !/^[0-9A-Z]{3,4}$/.test(b) || !/\d/.test(a + b)) return null;
  // 555-1234 is a phone number; 2019-2024 a range of years.
  if (/^\d{3}$/.test(a) && /^\d{4}$/.test(b)) return null;
  return isYear(a) && isYear(b) ? null : `${a}-${b}`;
}

const isYear = (t: string) => /^(?:19|20)\d\d$/.test(t);

/**
 * 0: right after the keyword ("code: 4821"); 1: later in the keyword's sentence, or on the line after "…code:";
 * 2: before the keyword in the same sentence ("4821 is your code"); 3: alone on a line near it; null: none.
 */
function tierOf(s: string, start: number, end: number, before: Run | undefined, after: Run | undefined): number | null {
  const sentenceEnd = /\n|[.!?。…](?:\s|$)/;
  if (before && start - before.end <= window) {
    const gap = s.slice(before.end, start);
    if (/^[\s:：=>»"'*–—-]*$/.test(gap)) return 0;
    if (!sentenceEnd.test(gap) || /^[^\n.!?]*:\s*$/.test(gap)) return 1;
  }
  if (after && after.start - end <= window && !sentenceEnd.test(s.slice(end, after.start))) return 2;
  const aloneOnLine = /(?:^|\n)[ \t\u00a0]*$/.test(s.slice(Math.max(0, start - 40), start)) && /^[ \t\u00a0]*(?:\r?\n|$)/.test(s.slice(end, end + 40));
  const near = (before && start - before.end <= window) || (after && after.start - end <= window);
  return near && aloneOnLine ? 3 : null;
}

/** Phone numbers, postcodes, years, identifiers, amounts, and tokens inside URLs, addresses, dates and decimals. */
function looksLikeSomethingElse(s: string, runs: Run[], c: Candidate, tier: number): boolean {
  const start = runs[c.first].start;
  const end = runs[c.last].end;
  if (!isStandalone(s, start, end)) return true;
  const before = s.slice(Math.max(0, start - 4), start);
  // "(555) 1234", "© 2024".
  if (/\d\)\s*$|©\s*$/.test(before)) return true;
  const prev = adjacentWord(s, runs, c.first - 1, start, /^[\s:.°º#-]*$/);
  if (idNouns.has(prev ?? '') || unitWords.has(adjacentWord(s, runs, c.last + 1, end, /^\s{1,2}$/) ?? '')) return true;
  if (tier === 0) return false;
  if (isYear(c.code)) return true;
  // "…, 75008 Paris", "\n10115 Berlin", "CA 94107": a postcode in an address.
  const nextIsName = /^[ \u00a0]\p{Lu}\p{Ll}/u.test(s.slice(end, end + 3));
  const lineOrComma = /(?:^|\n|,)[ \t\u00a0]*$/.test(s.slice(Math.max(0, start - 20), start));
  const afterState = /(?:^|[^\p{L}])[A-Z]{2}[ \u00a0]$/u.test(s.slice(Math.max(0, start - 4), start));
  return /^\d{4,5}$/.test(c.code) && ((nextIsName && lineOrComma) || afterState);
}

function isStandalone(s: string, start: number, end: number): boolean {
  const before = start > 0 ? s[start - 1] : '';
  const after = end < s.length ? s[end] : '';
  if (badBefore.has(before) || badAfter.has(after)) return false;
  // "1.5", "1,234", "10:30": punctuation followed by more alphanumerics continues the token.
  if ((after === '.' || after === ',' || after === ':') && /[\p{L}\p{N}]/u.test(s[end + 1] ?? '')) return false;
  if ((before === ':' || before === ',') && /[0-9]/.test(s[start - 2] ?? '')) return false;
  return true;
}

/** Block-level tags end a line, so "<p>Your code is below.</p><h1>482913</h1>" keeps the code on a line of its own. */
const blockTag = /^<\/?(?:p|div|br|tr|h[1-6]|li|ul|ol|table|tbody|thead|section|article|header|footer|center|blockquote|hr)\b/i;

/**
 * The visible text of HTML: comments, `<style>`, `<script>` and `<head>` dropped (CSS is full of `14px`, `#333333`),
 * tags replaced by a space (a line break for block tags), entities decoded. Blocks are found with forward searches
 * only, so an unclosed `<style` or `<!--` costs one pass.
 */
function htmlToText(html: string): string {
  const input = html.slice(0, maxScanLength);
  const opener = /<!--|<(style|script|head)\b/gi;
  let out = '';
  let at = 0;
  for (let m = opener.exec(input); m !== null; m = opener.exec(input)) {
    out += input.slice(at, m.index);
    const closer = new RegExp(m[1] === undefined ? '-->' : `</${m[1]}\\s*>`, 'gi');
    closer.lastIndex = opener.lastIndex;
    const found = closer.exec(input);
    if (found === null) return decodeEntities(stripTags(out));
    at = found.index + found[0].length;
    opener.lastIndex = at;
  }
  return decodeEntities(stripTags(out + input.slice(at)));
}

function stripTags(html: string): string {
  return html.replace(/<[^<>]*>/g, (tag) => (blockTag.test(tag) ? '\n' : ' '));
}
