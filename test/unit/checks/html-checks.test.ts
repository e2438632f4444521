import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkAccessibility } from '../../../src/checks/accessibility.js';
import { checkHtmlCompat } from '../../../src/checks/html-compat.js';
import { elementPath, maxElements, parseHtmlDocument } from '../../../src/checks/html-document.js';
import { contrastRatio, parseCssColor } from '../../../src/checks/css-color.js';
import { cpuMillis } from '../cpu-time.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/checks/${name}`, import.meta.url), 'utf8');
const a11y = (html: string, hasTextPart = true) => checkAccessibility({ doc: parseHtmlDocument(html), hasTextPart }).findings;
const clean = (body: string, extra = '') => `<!DOCTYPE html><html lang="en"><head>${extra}</head><body>${body}</body></html>`;

describe('HTML document reader', () => {
  it('gives each element its attributes, text and a selector path', () => {
    const doc = parseHtmlDocument('<html><body><table><tr><td><a href="x">Go &amp; see</a></td></tr></table><p>a</p><p class=b>b</p></body></html>');
    const a = doc.elements.find((e) => e.tag === 'a')!;
    expect(a.attrs.get('href')).toBe('x');
    expect(a.text).toBe('Go & see');
    expect(elementPath(a)).toBe('html > body > table > tr > td > a');
    expect(elementPath(doc.elements.filter((e) => e.tag === 'p')[1])).toBe('html > body > p:nth-of-type(2)');
  });

  it('keeps <style> text apart and reads past unclosed tags and stray end tags', () => {
    const doc = parseHtmlDocument('<style>p{color:red}</style></div><p>one<p>two<img src=a.png');
    expect(doc.styles).toEqual(['p{color:red}']);
    expect(doc.elements.map((e) => e.tag)).toEqual(['style', 'p', 'p', 'img']);
  });

  it('reads a hostile 1 MB input within a bound and caps the elements it keeps', () => {
    const hostile = '<div a="1" b=\'2\' c>'.repeat(40_000) + '<a x="'.repeat(20_000) + '<!--'.repeat(10_000) + '<style>' + '{'.repeat(100_000);
    expect(hostile.length).toBeGreaterThan(1_000_000);
    const { result: doc, ms } = cpuMillis(() => {
      const parsed = parseHtmlDocument(hostile);
      checkAccessibility({ doc: parsed, hasTextPart: true });
      checkHtmlCompat(parsed);
      return parsed;
    });
    expect(ms).toBeLessThan(5000);
    expect(doc.elements.length).toBeLessThanOrEqual(maxElements);
    expect(doc.truncated).toBe(true);
  });
});

describe('HTML compatibility', () => {
  it('reports the unsupported features of a modern newsletter with per-client support', () => {
    const r = checkHtmlCompat(parseHtmlDocument(fixture('newsletter-modern.html')));
    const names = r.warnings.map((w) => w.feature);
    for (const f of ['css-display-flex', 'css-display-grid', 'css-variables', 'css-at-media-prefers-color-scheme', 'css-linear-gradient', 'image-webp', 'css-position', 'css-box-shadow']) expect(names).toContain(f);
    const flex = r.warnings.find((w) => w.feature === 'css-display-flex')!;
    expect(flex.category).toBe('css');
    expect(flex.support.no).toBeGreaterThan(0);
    expect(flex.support.yes + flex.support.partial + flex.support.no).toBeCloseTo(100, 0);
    expect(flex.clients).toContainEqual({ name: 'Outlook', platform: 'Windows', support: 'no' });
    expect(r.score).toBeGreaterThan(0);
    expect(r.score).toBeLessThan(100);
  });

  it('scores a table-based transactional mail higher than the modern newsletter', () => {
    const classic = checkHtmlCompat(parseHtmlDocument(fixture('newsletter-classic.html')));
    const modern = checkHtmlCompat(parseHtmlDocument(fixture('newsletter-modern.html')));
    expect(classic.score).toBeGreaterThan(modern.score);
    expect(classic.features.map((f) => f.feature)).toContain('html-table');
    expect(classic.warnings.map((f) => f.feature)).not.toContain('css-display-flex');
  });

  it('scores a message without HTML features 100', () => {
    expect(checkHtmlCompat(parseHtmlDocument('')).score).toBe(100);
  });
});

describe('accessibility', () => {
  it('finds nothing in a clean transactional mail', () => {
    expect(a11y(fixture('newsletter-classic.html'))).toEqual([]);
  });

  it.each([
    ['img-alt', 'img', clean('<p>Hi</p><img src="https://x.example/a.png">')],
    ['html-lang', 'html', '<html><body><p>Hi</p></body></html>'],
    ['contrast', 'p', clean('<p style="color:#aaaaaa">Pale text on white</p>')],
    ['contrast', 'p', clean('<style>.note{color:#777;background-color:#555}</style><p class="note">Grey on grey</p>')],
    ['font-size', 'p', clean('<p style="font-size:9px">Fine print</p>')],
    ['link-text', 'a', clean('<p>To reset, <a href="https://x.example/r">click here</a>.</p>')],
    ['layout-table', 'table', clean('<table><tr><td>Layout cell</td></tr></table>')],
  ])('finds %s and points at the <%s> element', (rule, tag, html) => {
    const findings = a11y(html);
    expect(findings.map((f) => f.rule)).toEqual([rule]);
    expect(findings[0].element?.tag).toBe(tag);
    expect(findings[0].element?.path).toMatch(new RegExp(`${tag}$`));
    expect(findings[0].message.length).toBeGreaterThan(10);
  });

  it('finds a missing text alternative part', () => {
    expect(a11y(clean('<p>Hi</p>'), false).map((f) => f.rule)).toEqual(['text-alternative']);
  });

  it('accepts decorative images, image links named by alt text, data tables and large low-contrast headings at 3:1', () => {
    const html = clean('<img src="a.png" alt=""><a href="https://x.example"><img src="l.png" alt="Acme home"></a><table><tr><th>Item</th></tr><tr><td>1</td></tr></table><h1 style="font-size:32px;color:#888888">Big</h1>');
    expect(a11y(html)).toEqual([]);
  });

  it('computes WCAG 2 contrast ratios', () => {
    expect(contrastRatio(parseCssColor('#000')!, parseCssColor('white')!)).toBeCloseTo(21, 5);
    expect(contrastRatio(parseCssColor('#777777')!, parseCssColor('#ffffff')!)).toBeCloseTo(4.48, 2);
    expect(parseCssColor('rgba(0,0,0,0.5)')).toBeNull();
  });
});
