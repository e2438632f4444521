import { parseHtmlDocument } from './html-document.js';

/** The id the highlighted element gets, so the preview URL's `#mailsandbox-highlight` scrolls to it (no script). */
export const highlightId = 'mailsandbox-highlight';

const highlightStyle =
  `<style>[data-mailsandbox-highlight]{outline:3px solid #e11d48 !important;outline-offset:2px !important;` +
  `box-shadow:0 0 0 6px rgba(225,29,72,.25) !important;scroll-margin:48px}</style>`;

/**
 * The message HTML with one element — by the document-order index the checks report (`element.index`) — marked
 * for the preview: an outline and an id to scroll to. The same linear reader as the checks finds it, so the index
 * means the same element; the marker goes first among its attributes, where the HTML parser takes the first of
 * duplicates (so the mail's own `id`, if any, gives way in this view only). Null when there is no such element.
 */
export function highlightElement(html: string, index: number): string | null {
  const el = parseHtmlDocument(html).elements[index];
  if (!el) return null;
  // Appended, not prepended: a <style> before a doctype would put the page into quirks mode.
  return `${html.slice(0, el.nameEnd)} id="${highlightId}" data-mailsandbox-highlight${html.slice(el.nameEnd)}${highlightStyle}`;
}
