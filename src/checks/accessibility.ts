import { contrastRatio, parseCssColor } from './css-color.js';
import type { Rgb } from './css-color.js';
import { parseDeclarations, parseStyleSheet } from './css-declarations.js';
import { elementPath } from './html-document.js';
import type { HtmlDocument, HtmlElement } from './html-document.js';

export type AccessibilityRule = 'img-alt' | 'html-lang' | 'contrast' | 'font-size' | 'link-text' | 'layout-table' | 'text-alternative';

/** Where a finding is: the element's document-order index (the UI highlights it), its path and its start tag. */
export interface ElementRef {
  index: number;
  path: string;
  tag: string;
  snippet: string;
}

export interface AccessibilityFinding {
  rule: AccessibilityRule;
  /** `error` fails `toHaveNoAccessibilityErrors()`; `warning` is advice (a layout table is often fine). */
  severity: 'error' | 'warning';
  message: string;
  element: ElementRef | null;
}

export interface AccessibilityResult {
  findings: AccessibilityFinding[];
}

/** WCAG 2.x 1.4.3 (AA): 4.5:1 for body text, 3:1 for large text (≥ 24px, or ≥ 18.66px bold). */
const minContrast = 4.5;
const minContrastLarge = 3;
/** Below this, text is hard to read on a phone; many guides for mail say 14px, we flag what is clearly too small. */
const minFontPx = 12;
const vagueLinkTexts = new Set(['click here', 'here', 'click', 'read more', 'more', 'learn more', 'link', 'this link', 'click this', 'go', 'details', 'this']);

export interface AccessibilityInput {
  doc: HtmlDocument;
  /** Whether the message has a text/plain alternative to the HTML. */
  hasTextPart: boolean;
}

export function checkAccessibility({ doc, hasTextPart }: AccessibilityInput): AccessibilityResult {
  const findings: AccessibilityFinding[] = [];
  const styles = new StyleLookup(doc);
  const html = doc.elements.find((e) => e.tag === 'html');
  if (!html?.attrs.get('lang')?.trim()) findings.push({ rule: 'html-lang', severity: 'error', message: 'The <html> element has no lang attribute: screen readers cannot pick the right voice', element: html ? ref(html) : null });
  if (!hasTextPart) findings.push({ rule: 'text-alternative', severity: 'error', message: 'The message has no text/plain alternative to its HTML', element: null });
  const dataTables = tablesWithHeaders(doc);
  const namedByImage = linksNamedByImages(doc);
  for (const el of doc.elements) {
    if (el.tag === 'img' && !el.attrs.has('alt') && el.attrs.get('role') !== 'presentation' && el.attrs.get('aria-hidden') !== 'true') {
      findings.push({ rule: 'img-alt', severity: 'error', message: 'Image has no alt attribute (use alt="" for a decorative one)', element: ref(el) });
    }
    if (el.tag === 'a' && el.attrs.has('href') && !namedByImage.has(el)) checkLinkText(el, findings);
    if (el.tag === 'table' && !dataTables.has(el) && !['presentation', 'none'].includes(el.attrs.get('role')?.toLowerCase() ?? '')) {
      findings.push({ rule: 'layout-table', severity: 'warning', message: 'Table used for layout has no role="presentation": screen readers announce rows and columns', element: ref(el) });
    }
    checkTextStyle(el, styles, findings);
  }
  return { findings };
}

function checkLinkText(el: HtmlElement, findings: AccessibilityFinding[]): void {
  const text = el.text.trim().toLowerCase().replace(/[.!…:»>\s]+$/, '');
  const label = (el.attrs.get('aria-label') ?? el.attrs.get('title') ?? '').trim();
  if (label) return;
  if (!text) {
    findings.push({ rule: 'link-text', severity: 'error', message: 'Link has no text: a screen reader reads out its URL', element: ref(el) });
    return;
  }
  if (vagueLinkTexts.has(text)) findings.push({ rule: 'link-text', severity: 'error', message: `Link text "${el.text.trim()}" says nothing about where it goes`, element: ref(el) });
}

/** Tables with header cells or a caption hold data; the rest of a mail's tables are layout. One upward walk per header. */
function tablesWithHeaders(doc: HtmlDocument): Set<HtmlElement> {
  const out = new Set<HtmlElement>();
  for (const el of doc.elements) {
    if (el.tag !== 'th' && el.tag !== 'caption' && el.tag !== 'thead') continue;
    for (let p = el.parent; p; p = p.parent) {
      if (p.tag !== 'table') continue;
      out.add(p);
      break;
    }
  }
  return out;
}

/** Links whose image has alt text: the alt text names the link, so they have a text. */
function linksNamedByImages(doc: HtmlDocument): Set<HtmlElement> {
  const out = new Set<HtmlElement>();
  for (const el of doc.elements) {
    if (el.tag !== 'img' || !el.attrs.get('alt')?.trim()) continue;
    for (let p = el.parent; p; p = p.parent) {
      if (p.tag !== 'a') continue;
      out.add(p);
      break;
    }
  }
  return out;
}

function checkTextStyle(el: HtmlElement, styles: StyleLookup, findings: AccessibilityFinding[]): void {
  const own = styles.own(el);
  const sizePx = own.fontSize ? fontSizePx(own.fontSize) : null;
  // Only elements that show text of their own are judged; a wrapper's colour alone is not a finding.
  const hasText = el.text.trim().length > 0 && !['html', 'head', 'body', 'table', 'tbody', 'tr', 'style', 'script', 'title'].includes(el.tag);
  if (sizePx !== null && sizePx > 0 && sizePx < minFontPx && hasText) {
    findings.push({ rule: 'font-size', severity: 'error', message: `Text is ${round(sizePx)}px; under ${minFontPx}px is hard to read`, element: ref(el) });
  }
  if (!own.color || !hasText) return;
  const fg = parseCssColor(own.color);
  const bgValue = styles.background(el);
  const bg = bgValue ? parseCssColor(bgValue) : ([255, 255, 255] as Rgb);
  if (!fg || !bg) return;
  const ratio = contrastRatio(fg, bg);
  const size = sizePx ?? styles.inheritedFontPx(el) ?? 16;
  const bold = /bold|[6-9]00/.test(styles.own(el).fontWeight ?? '');
  const needed = size >= 24 || (bold && size >= 18.66) ? minContrastLarge : minContrast;
  if (ratio < needed) {
    findings.push({ rule: 'contrast', severity: 'error', message: `Text contrast ${round(ratio)}:1 (${own.color} on ${bgValue ?? 'white'}) is below ${needed}:1 (WCAG 2 AA)`, element: ref(el) });
  }
}

interface OwnStyle {
  color?: string;
  background?: string;
  fontSize?: string;
  fontWeight?: string;
}

/** Each element's colours and font size from its attributes, its `style`, and simple `<style>` rules (tag, .class, #id). */
class StyleLookup {
  readonly #cache = new Map<HtmlElement, OwnStyle>();
  readonly #rules: Array<{ selector: string; style: OwnStyle }> = [];
  constructor(doc: HtmlDocument) {
    for (const css of doc.styles) {
      for (const rule of parseStyleSheet(css).rules) {
        const style = toOwnStyle(rule.declarations);
        for (const s of rule.selector.split(',')) if (/^[a-z0-9]*(?:[.#][\w-]+)?$/i.test(s.trim())) this.#rules.push({ selector: s.trim().toLowerCase(), style });
      }
    }
  }
  own(el: HtmlElement): OwnStyle {
    let s = this.#cache.get(el);
    if (s) return s;
    s = {};
    const attrColor = el.attrs.get('color');
    if (attrColor && el.tag === 'font') s.color = attrColor;
    const bgAttr = el.attrs.get('bgcolor');
    if (bgAttr) s.background = bgAttr;
    const classes = (el.attrs.get('class') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const id = el.attrs.get('id')?.toLowerCase();
    for (const r of this.#rules) if (selectorMatches(r.selector, el.tag, classes, id)) Object.assign(s, r.style);
    Object.assign(s, toOwnStyle(parseDeclarations(el.attrs.get('style') ?? '')));
    this.#cache.set(el, s);
    return s;
  }
  /** The nearest background colour at or above the element (white when none is set). */
  background(el: HtmlElement): string | undefined {
    for (let e: HtmlElement | null = el; e; e = e.parent) {
      const b = this.own(e).background;
      if (b) return b;
    }
    return undefined;
  }
  inheritedFontPx(el: HtmlElement): number | null {
    for (let e = el.parent; e; e = e.parent) {
      const f = this.own(e).fontSize;
      if (f) return fontSizePx(f);
    }
    return null;
  }
}

function selectorMatches(selector: string, tag: string, classes: string[], id: string | undefined): boolean {
  const m = /^([a-z0-9]*)(?:([.#])([\w-]+))?$/.exec(selector);
  if (!m) return false;
  if (m[1] && m[1] !== tag) return false;
  if (m[2] === '.') return classes.includes(m[3]);
  if (m[2] === '#') return id === m[3];
  return Boolean(m[1]);
}

function toOwnStyle(declarations: Array<{ property: string; value: string }>): OwnStyle {
  const s: OwnStyle = {};
  for (const { property, value } of declarations) {
    if (property === 'color') s.color = value;
    else if (property === 'background-color') s.background = value;
    else if (property === 'background' && parseCssColor(value)) s.background = value;
    else if (property === 'font-size') s.fontSize = value;
    else if (property === 'font-weight') s.fontWeight = value;
  }
  return s;
}

/** px for absolute sizes; em/rem/% against a 16px root; null for keywords we do not judge. */
export function fontSizePx(value: string): number | null {
  const m = /^([\d.]+)\s*(px|pt|em|rem|%)?$/i.exec(value.trim());
  if (!m) return null;
  const n = Number(m[1]);
  switch ((m[2] ?? 'px').toLowerCase()) {
    case 'pt':
      return (n * 4) / 3;
    case 'em':
    case 'rem':
      return n * 16;
    case '%':
      return (n / 100) * 16;
    default:
      return n;
  }
}

function ref(el: HtmlElement): ElementRef {
  const attrs = [...el.attrs].slice(0, 6).map(([k, v]) => (v ? `${k}="${v.length > 60 ? `${v.slice(0, 57)}...` : v}"` : k));
  return { index: el.index, path: elementPath(el), tag: el.tag, snippet: `<${[el.tag, ...attrs].join(' ')}>` };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
