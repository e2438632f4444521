import { describe, expect, it } from 'vitest';
import { checkAccessibility } from '../../../src/checks/accessibility.js';
import { parseHtmlDocument } from '../../../src/checks/html-document.js';
import { highlightElement, highlightId } from '../../../src/checks/html-highlight.js';

describe('highlightElement', () => {
  it('marks the very element a finding points at, by its document-order index', () => {
    const html = '<!DOCTYPE html><html><body><table><tr><td><IMG SRC="a.png"></td></tr></table><img id="own" src="b.png"></body></html>';
    const findings = checkAccessibility({ doc: parseHtmlDocument(html), hasTextPart: true }).findings.filter((f) => f.rule === 'img-alt');
    expect(findings).toHaveLength(2);
    const second = highlightElement(html, findings[1].element!.index)!;
    // The marker goes first, so its id wins over the element's own (the HTML parser keeps the first duplicate).
    expect(second).toContain(`<img id="${highlightId}" data-mailsandbox-highlight id="own" src="b.png">`);
    expect(second.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(second.endsWith('</style>')).toBe(true);
    const first = highlightElement(html, findings[0].element!.index)!;
    expect(first).toContain(`<IMG id="${highlightId}" data-mailsandbox-highlight SRC="a.png">`);
    // Everything else is byte for byte the original.
    expect(first.replace(` id="${highlightId}" data-mailsandbox-highlight`, '').replace(/<style>[^<]*<\/style>$/, '')).toBe(html);
  });

  it('returns null for an index past the last element', () => {
    expect(highlightElement('<p>one</p>', 1)).toBeNull();
    expect(highlightElement('', 0)).toBeNull();
  });
});
