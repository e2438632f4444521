import type { CaniemailIndex } from './caniemail-data.js';
import { parseDeclarations, parseStyleSheet } from './css-declarations.js';
import type { CssDeclaration } from './css-declarations.js';
import type { HtmlDocument } from './html-document.js';

/** The caniemail slugs a document uses, each with the first element (index) that uses it, or null for `<style>`. */
export function detectFeatures(doc: HtmlDocument, data: CaniemailIndex): Map<string, number | null> {
  const used = new Map<string, number | null>();
  const add = (slug: string, at: number | null): void => {
    if (data.bySlug.has(slug) && !used.has(slug)) used.set(slug, at);
  };
  if (doc.hasDoctype) add('html-doctype', null);
  if (doc.hasComments) add('html-comments', null);
  for (const el of doc.elements) {
    for (const slug of elementSlugs(el.tag, el.attrs)) add(slug, el.index);
    const style = el.attrs.get('style');
    if (style) for (const slug of declarationSlugs(parseDeclarations(style), data, style)) add(slug, el.index);
  }
  for (const css of doc.styles) {
    const sheet = parseStyleSheet(css);
    for (const at of sheet.atRules) add(`css-at-${at}`, null);
    for (const f of sheet.mediaFeatures) add(`css-at-media-${f.replace(/^(any-|-webkit-)/, '')}`, null);
    for (const rule of sheet.rules) {
      for (const slug of selectorSlugs(rule.selector)) add(slug, null);
      for (const slug of declarationSlugs(rule.declarations, data, '')) add(slug, null);
    }
    if (css.includes('/*')) add('css-comments', null);
    if (/!\s*important/i.test(css)) add('css-important', null);
  }
  return used;
}

function elementSlugs(tag: string, attrs: ReadonlyMap<string, string>): string[] {
  const out = [`html-${tag}`];
  if (/^h[1-6]$/.test(tag)) out.push('html-h1-h6');
  if (tag === 'ul' || tag === 'ol' || tag === 'dl') out.push('html-lists');
  if (tag === 'input') out.push(`html-input-${(attrs.get('type') ?? 'text').toLowerCase()}`);
  if (tag === 'button') out.push(`html-button-${(attrs.get('type') ?? 'submit').toLowerCase()}`);
  if (tag === 'map' || attrs.has('usemap')) out.push('html-image-maps');
  if (tag === 'meta' && attrs.get('name')?.toLowerCase() === 'color-scheme') out.push('html-meta-color-scheme');
  for (const name of attrs.keys()) out.push(`html-${name}`);
  const href = attrs.get('href') ?? '';
  if (tag === 'a' && href.startsWith('#')) out.push('html-anchor-links');
  if (tag === 'a' && /^mailto:/i.test(href)) out.push('html-mailto-links');
  const src = attrs.get('src') ?? '';
  if (tag === 'img' && src) out.push(...imageSlugs(src));
  return out;
}

function imageSlugs(src: string): string[] {
  if (/^data:/i.test(src)) return ['image-base64', ...(/^data:image\/([a-z+]+)/i.exec(src) ? [`image-${/^data:image\/([a-z]+)/i.exec(src)?.[1].toLowerCase().replace('jpeg', 'jpg')}`] : [])];
  const ext = /\.([a-z0-9]{2,5})(?:[?#]|$)/i.exec(src)?.[1]?.toLowerCase();
  return ext ? [`image-${ext === 'jpeg' ? 'jpg' : ext === 'tif' ? 'tiff' : ext}`] : [];
}

const unitSlugs: Array<[RegExp, string]> = [
  [/\d(?:\.\d+)?rem\b/, 'css-unit-rem'], [/\d(?:\.\d+)?em\b/, 'css-unit-em'], [/\d(?:\.\d+)?vh\b/, 'css-unit-vh'],
  [/\d(?:\.\d+)?vw\b/, 'css-unit-vw'], [/\d(?:\.\d+)?vmin\b/, 'css-unit-vmin'], [/\d(?:\.\d+)?vmax\b/, 'css-unit-vmax'],
  [/\d(?:\.\d+)?ch\b/, 'css-unit-ch'], [/\d(?:\.\d+)?ex\b/, 'css-unit-ex'], [/\d(?:\.\d+)?pt\b/, 'css-unit-pt'],
  [/\d(?:\.\d+)?px\b/, 'css-unit-px'], [/\d%/, 'css-unit-percent'], [/\bcalc\(/, 'css-unit-calc'], [/\bvar\(/, 'css-variables'],
  [/\blinear-gradient\(/, 'css-linear-gradient'], [/\bradial-gradient\(/, 'css-radial-gradient'], [/\bconic-gradient\(/, 'css-conic-gradient'],
  [/\brgba\(/, 'css-rgba'], [/\brgb\(/, 'css-rgb'], [/\bclamp\(/, 'css-function-clamp'], [/\bmin\(/, 'css-function-min'],
  [/\bmax\(/, 'css-function-max'], [/\blight-dark\(/, 'css-function-light-dark'], [/\b(?:ok)?(?:lch|lab)\(/, 'css-modern-color'],
  [/\b(?:fit|min|max)-content\b/, 'css-intrinsic-size'], [/\bsystem-ui\b|\bui-(?:serif|sans-serif|rounded|monospace)\b/, 'css-sytem-ui'],
];

function declarationSlugs(declarations: CssDeclaration[], data: CaniemailIndex, raw: string): string[] {
  const out: string[] = [];
  for (const { property, value } of declarations) {
    const v = value.toLowerCase();
    if (property.startsWith('--')) out.push('css-variables');
    const slug = data.cssProperty.get(property);
    if (slug) out.push(slug);
    if (['top', 'right', 'bottom', 'left'].includes(property)) out.push('css-left-right-top-bottom');
    // Value-specific entries (display:flex, display:none, flex-wrap: wrap, flex-direction:column).
    const keyword = /^[a-z-]+/.exec(v)?.[0];
    if (keyword && data.bySlug.has(`css-${property}-${keyword}`)) out.push(`css-${property}-${keyword}`);
    if (property === 'flex-direction' && keyword === 'column') out.push('css-flex-direction');
    if (property === 'flex-wrap' && keyword === 'wrap') out.push('css-flex-wrap');
    for (const [re, s] of unitSlugs) if (re.test(v)) out.push(s);
  }
  if (/!\s*important/i.test(raw)) out.push('css-important');
  return out;
}

function selectorSlugs(selector: string): string[] {
  const out: string[] = [];
  for (const m of selector.matchAll(/::?([a-z-]+)/gi)) {
    const name = m[1].toLowerCase();
    out.push(m[0].startsWith('::') || name === 'before' || name === 'after' ? `css-pseudo-element-${name}` : `css-pseudo-class-${name}`);
  }
  if (selector.includes(',')) out.push('css-selector-grouping');
  if (/#[a-z_-]/i.test(selector)) out.push('css-selector-id');
  if (/\.[a-z_-]/i.test(selector)) out.push('css-selector-class');
  if (selector.includes('>')) out.push('css-selector-child');
  if (selector.includes('+')) out.push('css-selector-adjacent-sibling');
  if (selector.includes('~')) out.push('css-selector-general-sibling');
  if (selector.includes('[')) out.push('css-selector-attribute');
  if (selector.includes('*')) out.push('css-selector-universal');
  return out;
}
