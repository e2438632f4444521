import { decodeHTML } from 'entities';

/**
 * The text a person reads in an HTML-only message, for `text` in the API and the library (so `msg.text` and the
 * code/link finders work on HTML mail). mailparser's html-to-text was used before and is superlinear on tables:
 * one 1 MB `<table><tr><td>x<td>x...` mail blocked every protocol for 10 s (issue 10, finding 2). This is one
 * forward scan with `indexOf`, so its cost is linear in the input, and the input is capped.
 *
 * Output: blocks (p, div, headings, rows, ...) on lines of their own, list items as `* `, table cells separated
 * by a space, a link as `text [url]` (as html-to-text wrote it) unless the text is the URL, `<pre>` kept as
 * written, comments, scripts, styles and `<head>` dropped, every HTML entity decoded.
 *
 * @example htmlToReadableText('<p>Your code is <b>123456</b></p>') // 'Your code is 123456'
 */
export function htmlToReadableText(html: string, maxChars = maxReadableHtml): string {
  const conversion = new Conversion(html, maxChars);
  conversion.run(Infinity);
  return conversion.finish();
}

/**
 * The same, giving the event loop back every `sliceMs` of work, so converting a large message never stalls the
 * other clients of the process (SPEC §10, event-loop budget).
 */
export async function htmlToReadableTextAsync(html: string, sliceMs = 10, maxChars = maxReadableHtml): Promise<string> {
  const conversion = new Conversion(html, maxChars);
  while (!conversion.run(performance.now() + sliceMs)) await new Promise((resolve) => setImmediate(resolve));
  return conversion.finish();
}

/** One conversion's position, so it can run in slices. */
class Conversion {
  readonly #input: string;
  readonly #out = new TextSink();
  #at = 0;

  constructor(html: string, maxChars: number) {
    this.#input = html.length > maxChars ? html.slice(0, maxChars) : html;
  }

  /** Converts until done (true) or until `deadline` (a performance.now() time) has passed (false). */
  run(deadline: number): boolean {
    const input = this.#input;
    let i = this.#at;
    for (let steps = 1; i < input.length; steps++) {
      if ((steps & 1023) === 0 && performance.now() > deadline) break;
      const lt = input.indexOf('<', i);
      this.#out.text(input.slice(i, lt < 0 ? input.length : lt));
      if (lt < 0) {
        i = input.length;
        break;
      }
      i = readMarkup(input, lt, this.#out);
    }
    this.#at = i;
    return i >= input.length;
  }

  finish(): string {
    return this.#out.finish();
  }
}

/** Characters of HTML converted; past this a hostile or giant message gives the text of its start. */
export const maxReadableHtml = 1024 * 1024;

/** Elements whose content is not text a person reads. */
const hiddenElements = new Set(['script', 'style', 'head', 'title', 'template', 'noscript', 'xml']);
/** Elements that stand on lines of their own. */
const blockElements = new Set([
  'address', 'article', 'aside', 'blockquote', 'center', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figure', 'footer', 'form',
  'header', 'hr', 'main', 'nav', 'ol', 'section', 'table', 'tbody', 'tfoot', 'thead', 'tr', 'ul', 'caption',
]);
/** Blocks set off by a blank line, as a reader sees paragraphs. */
const paragraphElements = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre']);
const tagPattern = /<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)/y;
const hrefPattern = /(?:^|[\s"'/])href[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;
const altPattern = /(?:^|[\s"'/])alt[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;

/** Handles the markup at `lt`; returns where text resumes. */
function readMarkup(html: string, lt: number, out: TextSink): number {
  if (html.startsWith('<!--', lt)) {
    const end = html.indexOf('-->', lt + 4);
    return end < 0 ? html.length : end + 3;
  }
  tagPattern.lastIndex = lt;
  const tag = tagPattern.exec(html);
  if (!tag) {
    // `<!DOCTYPE>`, `<?xml?>`, `<![CDATA[` skip to their `>`; a '<' that opens nothing is text ("a < b").
    if (html[lt + 1] !== '!' && html[lt + 1] !== '?') {
      out.text('<');
      return lt + 1;
    }
    const gt = html.indexOf('>', lt + 2);
    return gt < 0 ? html.length : gt + 1;
  }
  const gt = html.indexOf('>', tagPattern.lastIndex);
  if (gt < 0) return html.length;
  const name = tag[2]!.toLowerCase();
  const closing = tag[1] === '/';
  if (!closing && hiddenElements.has(name)) return skipElement(html, name, gt + 1);
  onTag(name, closing, html, tagPattern.lastIndex, gt, out);
  return gt + 1;
}

/** Skips to after `</name>` (or the end): a script's or style's text is never shown. */
function skipElement(html: string, name: string, from: number): number {
  const lower = `</${name}`;
  let at = from;
  for (;;) {
    const close = html.indexOf('</', at);
    if (close < 0) return html.length;
    if (html.slice(close, close + lower.length).toLowerCase() === lower) {
      const gt = html.indexOf('>', close);
      return gt < 0 ? html.length : gt + 1;
    }
    at = close + 2;
  }
}

/** `html.slice(from, to)` holds the tag's attributes; cut only for the two tags that use them. */
function onTag(name: string, closing: boolean, html: string, from: number, to: number, out: TextSink): void {
  if (name === 'br') out.lineBreak();
  else if (name === 'li') {
    if (!closing) out.listItem();
    else out.block();
  } else if (name === 'td' || name === 'th') out.space();
  else if (name === 'pre') {
    out.paragraph();
    out.preformatted = !closing;
  } else if (paragraphElements.has(name)) out.paragraph();
  else if (blockElements.has(name)) out.block();
  else if (name === 'a') {
    if (closing) out.closeLink();
    else out.openLink(attribute(hrefPattern, html.slice(from, to)));
  } else if (name === 'img' && !closing) {
    const alt = attribute(altPattern, html.slice(from, to));
    if (alt) out.text(alt);
  }
}

function attribute(pattern: RegExp, attributes: string): string | null {
  const m = pattern.exec(attributes);
  return m ? decodeHTML((m[1] ?? m[2] ?? m[3] ?? '').trim()) : null;
}

/** A link's text longer than any URL is not the URL; no need to keep more of it. */
const maxLinkTextCompared = 8192;
const collapsible = /[ \t\r\n\f\u200b]/;
const collapsibleRuns = /[ \t\r\n\f\u200b]+/g;

/** Collects text with HTML's whitespace rules: runs collapse to one space, except in `<pre>`. */
class TextSink {
  readonly #parts: string[] = [];
  /** A pending separator: '' none, ' ', '\n' or '\n\n'; the strongest asked for since the last text wins. */
  #gap = '';
  /** The open link and the start of its text (kept short: only compared with the href). */
  #link: { href: string; shown: string } | null = null;
  preformatted = false;

  text(raw: string): void {
    if (!raw) return;
    // A no-break space reads (and is searched) as a space; `&nbsp;` runs are layout.
    const decoded = raw.includes('&') ? decodeHTML(raw).replace(/\u00a0/g, ' ') : raw;
    if (this.preformatted) return this.#write(decoded);
    const collapsed = collapsible.test(decoded) ? decoded.replace(collapsibleRuns, ' ') : decoded;
    if (collapsed === ' ') return this.space();
    if (collapsed.startsWith(' ')) this.space();
    this.#write(collapsed.trim());
    if (collapsed.endsWith(' ')) this.space();
  }

  space(): void {
    if (this.#gap === '') this.#gap = ' ';
  }

  lineBreak(): void {
    // A <br> always breaks, even right after another one (an empty line is what the author wrote).
    this.#parts.push(this.#gap === '\n\n' ? '\n\n' : '\n');
    this.#gap = '';
  }

  block(): void {
    if (this.#gap !== '\n\n') this.#gap = '\n';
  }

  paragraph(): void {
    this.#gap = '\n\n';
  }

  listItem(): void {
    this.block();
    this.#write('* ');
  }

  openLink(href: string | null): void {
    this.#link = href && /^(https?|mailto):/i.test(href) ? { href, shown: '' } : null;
  }

  closeLink(): void {
    const link = this.#link;
    this.#link = null;
    if (!link) return;
    const shown = link.shown.trim();
    if (shown === link.href || shown === link.href.replace(/^mailto:/i, '')) return;
    this.space();
    this.#write(`[${link.href}]`);
  }

  #write(s: string): void {
    if (!s) return;
    if (this.#gap && this.#parts.length > 0) this.#parts.push(this.#gap);
    this.#gap = '';
    this.#parts.push(s);
    // Slicing the output back from the link's start instead would be quadratic on many links.
    if (this.#link && this.#link.shown.length < maxLinkTextCompared) this.#link.shown += s;
  }

  finish(): string {
    // Spaces at line ends and runs of blank lines are layout, not text. Lines are trimmed one by one: a regex like
    // /[ \t]+\n/ would rescan a long run of spaces from each of its positions (quadratic on a hostile <pre>).
    const lines = this.#parts.join('').split('\n');
    return lines.map((line) => line.trimEnd()).join('\n').replace(/\n{3,}/g, '\n\n').trim();
  }
}
