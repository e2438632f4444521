/**
 * A linear, bounded reading of mail HTML for the checks: elements with their attributes, parent, text and a
 * selector-like path, plus the contents of `<style>` blocks. Not a full HTML5 tree builder: mail HTML is hostile,
 * so every step moves forward (no backtracking regexes over the whole input) and counts are capped.
 */

/** One element as the checks see it. `index` is its position in document order (0 = first element). */
export interface HtmlElement {
  readonly index: number;
  readonly tag: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly parent: HtmlElement | null;
  /** Text directly inside this element and its descendants, whitespace-collapsed, capped. */
  text: string;
  /** This element's step in its path, e.g. `table:nth-of-type(2)`; see {@link elementPath}. */
  readonly step: string;
  /** Offset in the HTML just past the start tag's name (`<img|`): where the preview inserts its highlight marker. */
  readonly nameEnd: number;
}

/**
 * e.g. `html > body > table:nth-of-type(2) > tr > td > a`: points the UI and the reader at an element. Built on
 * demand (only for findings): storing it per element would cost depth × elements.
 */
export function elementPath(el: HtmlElement): string {
  const steps: string[] = [];
  for (let e: HtmlElement | null = el; e; e = e.parent) steps.push(e.step);
  return steps.reverse().join(' > ');
}

export interface HtmlDocument {
  readonly elements: readonly HtmlElement[];
  /** Text of every `<style>` element, in order. */
  readonly styles: readonly string[];
  readonly hasDoctype: boolean;
  readonly hasComments: boolean;
  /** True when the element cap was reached and the rest was not read. */
  readonly truncated: boolean;
}

/** Elements read at most; a 1 MB hostile input of `<b>`s stays bounded in time and memory. */
export const maxElements = 20_000;
const maxTextPerElement = 500;
const maxDepth = 200;

const voidTags = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const rawTextTags = new Set(['style', 'script', 'title', 'textarea']);
/** Elements whose content never reaches the reader's eyes as text. */
const hiddenTextTags = new Set(['style', 'script', 'head', 'title']);

// Sticky: each match starts exactly at lastIndex, so scanning the attributes is one forward pass.
const attrRe = /\s*([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/y;
const tagNameRe = /[a-zA-Z][a-zA-Z0-9:-]*/y;

/** Reads `html`; linear in its length. */
export function parseHtmlDocument(html: string): HtmlDocument {
  const elements: HtmlElement[] = [];
  const styles: string[] = [];
  const stack: Array<{ el: HtmlElement; counts: Map<string, number> }> = [];
  const rootCounts = new Map<string, number>();
  let hasDoctype = false;
  let hasComments = false;
  let truncated = false;
  let i = 0;
  const n = html.length;
  const addText = (t: string): void => {
    const s = t.replace(/\s+/g, ' ');
    if (!s.trim()) return;
    for (const { el } of stack) {
      if (hiddenTextTags.has(el.tag)) return;
    }
    for (const { el } of stack) if (el.text.length < maxTextPerElement) el.text = (el.text + s).slice(0, maxTextPerElement);
  };
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      addText(decodeEntities(html.slice(i)));
      break;
    }
    if (lt > i) addText(decodeEntities(html.slice(i, lt)));
    if (html.startsWith('<!--', lt)) {
      hasComments = true;
      const end = html.indexOf('-->', lt + 4);
      i = end === -1 ? n : end + 3;
      continue;
    }
    if (html[lt + 1] === '!' || html[lt + 1] === '?') {
      if (/^<!doctype/i.test(html.slice(lt, lt + 9))) hasDoctype = true;
      const end = html.indexOf('>', lt);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (html[lt + 1] === '/') {
      tagNameRe.lastIndex = lt + 2;
      const m = tagNameRe.exec(html);
      const end = html.indexOf('>', lt);
      i = end === -1 ? n : end + 1;
      if (m) closeTag(stack, m[0].toLowerCase());
      continue;
    }
    tagNameRe.lastIndex = lt + 1;
    const nameMatch = tagNameRe.exec(html);
    if (!nameMatch) {
      addText('<');
      i = lt + 1;
      continue;
    }
    const tag = nameMatch[0].toLowerCase();
    const nameEnd = tagNameRe.lastIndex;
    const { attrs, end, selfClosing } = readAttributes(html, nameEnd);
    i = end;
    if (elements.length >= maxElements) {
      truncated = true;
      break;
    }
    const top = stack[stack.length - 1];
    const counts = top?.counts ?? rootCounts;
    const nth = (counts.get(tag) ?? 0) + 1;
    counts.set(tag, nth);
    const step = nth > 1 ? `${tag}:nth-of-type(${nth})` : tag;
    const el: HtmlElement = { index: elements.length, tag, attrs, parent: top?.el ?? null, text: '', step, nameEnd };
    elements.push(el);
    if (rawTextTags.has(tag)) {
      const close = indexOfCaseless(html, `</${tag}`, i);
      const body = html.slice(i, close === -1 ? n : close);
      if (tag === 'style') styles.push(body);
      else if (tag === 'title' || tag === 'textarea') {
        stack.push({ el, counts: new Map() });
        addText(decodeEntities(body));
        stack.pop();
      }
      const gt = close === -1 ? -1 : html.indexOf('>', close);
      i = gt === -1 ? n : gt + 1;
      continue;
    }
    if (!voidTags.has(tag) && !selfClosing && stack.length < maxDepth) stack.push({ el, counts: new Map() });
  }
  return { elements, styles, hasDoctype, hasComments, truncated };
}

function readAttributes(html: string, from: number): { attrs: Map<string, string>; end: number; selfClosing: boolean } {
  const attrs = new Map<string, string>();
  let i = from;
  for (;;) {
    while (i < html.length && /\s/.test(html[i])) i++;
    if (i >= html.length) return { attrs, end: html.length, selfClosing: false };
    if (html[i] === '>') return { attrs, end: i + 1, selfClosing: false };
    if (html[i] === '/' && html[i + 1] === '>') return { attrs, end: i + 2, selfClosing: true };
    attrRe.lastIndex = i;
    const m = attrRe.exec(html);
    if (!m || m[0].length === 0) {
      i++;
      continue;
    }
    const name = m[1].toLowerCase();
    if (!attrs.has(name)) attrs.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
    i = attrRe.lastIndex;
  }
}

/** Pops to the nearest open element named `tag`; a stray end tag with no open match is ignored (as browsers do). */
function closeTag(stack: Array<{ el: HtmlElement }>, tag: string): void {
  for (let k = stack.length - 1; k >= 0 && k >= stack.length - 50; k--) {
    if (stack[k].el.tag === tag) {
      stack.length = k;
      return;
    }
  }
}

function indexOfCaseless(html: string, needle: string, from: number): number {
  const lower = needle.toLowerCase();
  const upper = needle.toUpperCase();
  let i = from;
  while (i < html.length) {
    const j = html.indexOf('<', i);
    if (j === -1) return -1;
    let ok = true;
    for (let k = 0; k < needle.length && ok; k++) {
      const c = html[j + k];
      ok = c === lower[k] || c === upper[k];
    }
    if (ok) return j;
    i = j + 1;
  }
  return -1;
}

const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', hellip: '…', mdash: '—', ndash: '–', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“', zwnj: '', shy: '' };

/** Enough entity decoding for texts and attribute values; unknown names stay as written. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});?/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return namedEntities[e.toLowerCase()] ?? all;
  });
}
