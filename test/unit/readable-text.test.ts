import { describe, expect, it } from 'vitest';
import { htmlToReadableText, htmlToReadableTextAsync, maxReadableHtml } from '../../src/mime/readable-text.js';
import { cpuMillis } from './cpu-time.js';

describe('htmlToReadableText', () => {
  it.each([
    ['paragraphs on lines of their own, a blank line between', '<p>One</p><p>Two</p>', 'One\n\nTwo'],
    ['inline markup joined, whitespace collapsed', '<p>Your   code\n is <b>123456</b>.</p>', 'Your code is 123456.'],
    ['a line break for <br>', 'a<br>b<br/>c', 'a\nb\nc'],
    ['table cells separated by a space, rows on lines', '<table><tr><td>Code</td><td>938271</td></tr><tr><td>x</td></tr></table>', 'Code 938271\nx'],
    ['list items marked', '<ul><li>one<li>two</ul>', '* one\n* two'],
    ['a link as text [url]', '<a href="https://x.test/r?a=1&amp;b=2">Reset</a>', 'Reset [https://x.test/r?a=1&b=2]'],
    ['a link whose text is its URL once', '<a href="https://x.test/">https://x.test/</a>', 'https://x.test/'],
    ['no javascript: links', '<a href="javascript:alert(1)">x</a>', 'x'],
    ['scripts, styles, head and comments dropped', '<head><title>T</title><style>p{}</style></head><script>if (a<b) x()</script><!-- c --><p>Body</p>', 'Body'],
    ['an unclosed comment ends the text', 'a<!-- never closed', 'a'],
    ['entities decoded, all of HTML5', 'A &amp; B &rsquo; &mdash; &#x41;&#66; &nbsp;&copy;', 'A & B ’ — AB ©'],
    ['a < that opens no tag kept', 'a < b and c<1', 'a < b and c<1'],
    ['<pre> kept as written', '<pre>  a\n    b</pre>', 'a\n    b'],
    ['image alt text shown', '<img src="https://x.test/i.png" alt="Logo"> Welcome', 'Logo Welcome'],
    ['a doctype skipped', '<!DOCTYPE html><html><body>Hi</body></html>', 'Hi'],
  ])('gives %s', (_name, html, text) => {
    expect(htmlToReadableText(html)).toBe(text);
  });

  it('converts only the first maxReadableHtml characters', () => {
    const text = htmlToReadableText('a'.repeat(maxReadableHtml) + 'TAIL');
    expect(text.length).toBe(maxReadableHtml);
  });

  it('gives the same text in slices as in one go, yielding to the event loop in between', async () => {
    const html = '<table><tr>' + '<td>x <a href="https://x.test/">y</a>'.repeat(30_000);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const sliced = await htmlToReadableTextAsync(html, 1);
    clearInterval(ticker);
    expect(sliced).toBe(htmlToReadableText(html));
    expect(turns).toBeGreaterThan(0);
  });

  // Linear on the shapes that made html-to-text superlinear or would make a naive scanner quadratic. The bound is
  // generous (a busy 2-core machine); the superlinear converter took ~10 s on the first of these at 1 MB.
  it.each([
    ['a giant table', '<table><tr>' + '<td>x'.repeat(400_000)],
    ['deep nesting', '<div><table><tr><td>'.repeat(100_000)],
    ['unclosed tags', '<a href="x'.repeat(200_000)],
    ['a tag that never ends', '<p' + ' a=b'.repeat(500_000)],
    ['many links', '<a href="https://x.test/">y</a>'.repeat(60_000)],
    ['one unclosed link over much text', '<a href="https://x.test/">' + 'word <b>'.repeat(250_000)],
    ['a long run of spaces in <pre>', '<pre>' + ' '.repeat(2_000_000) + 'x'],
    ['unclosed script tags', '<script>'.repeat(250_000)],
    ['nested comments', '<!-- <!-- '.repeat(200_000)],
    ['entities', '&amp;'.repeat(400_000)],
  ])('stays linear on %s (2 MB, of which the first 1 MiB is converted)', (_name, html) => {
    const { result: text, ms } = cpuMillis(() => htmlToReadableText(html));
    expect(typeof text).toBe('string');
    expect(ms).toBeLessThan(3000);
  });
});
