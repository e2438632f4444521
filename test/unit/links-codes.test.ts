import { describe, expect, it } from 'vitest';
import { extractCodes, extractLinks, maxScanLength } from '../../src/mime/links-codes.js';

describe('extractLinks', () => {
  it('finds hrefs in order, decodes entities and keeps only http(s)', () => {
    const html = `<a href="https://app.test/reset?token=abc&amp;u=1">Reset</a>
      <a href='http://app.test/a'>a</a> <a href=https://app.test/b>b</a>
      <a href="mailto:help@app.test">mail</a> <a href="javascript:alert(1)">x</a> <a href="#top">top</a>
      <A HREF = "https://app.test/upper">u</A> <a href="https://app.test/reset?token=abc&amp;u=1">again</a>`;
    expect(extractLinks(null, html)).toEqual(['https://app.test/reset?token=abc&u=1', 'http://app.test/a', 'https://app.test/b', 'https://app.test/upper']);
  });

  it('finds URLs in text without trailing punctuation, keeping balanced parentheses', () => {
    const text = 'Reset here: https://app.test/reset/XyZ.\nDocs (https://docs.test/a) and https://en.wikipedia.org/wiki/Foo_(bar), then "https://q.test/x?y=1".';
    expect(extractLinks(text, null)).toEqual(['https://app.test/reset/XyZ', 'https://docs.test/a', 'https://en.wikipedia.org/wiki/Foo_(bar)', 'https://q.test/x?y=1']);
  });

  it('lists HTML links first, then text-only ones, each once', () => {
    expect(extractLinks('see https://a.test/1 and https://b.test/2', '<a href="https://b.test/2">b</a>')).toEqual(['https://b.test/2', 'https://a.test/1']);
  });

  it('does not count image sources that HTML-to-text conversion put in the text', () => {
    const html = '<p>Hi</p><img alt="x" src="https://cdn.test/pixel.gif"><a href="https://app.test/go">go</a>';
    expect(extractLinks('Hi\n[https://cdn.test/pixel.gif]\ngo [https://app.test/go]', html)).toEqual(['https://app.test/go']);
  });

  it('ignores a bare scheme', () => {
    expect(extractLinks('http:// and https://', null)).toEqual([]);
  });
});

describe('extractCodes', () => {
  it.each<[string, string, string[]]>([
    ['verification', 'Your verification code is 482913. It expires in 10 minutes.', ['482913']],
    ['2FA SMS style', '482913 is your one-time passcode for Example.', ['482913']],
    ['OTP with colon', 'OTP:7391', ['7391']],
    ['alphanumeric', 'Enter this code to sign in: K7Q2XP', ['K7Q2XP']],
    ['PIN', 'Your PIN is 0042', ['0042']],
    ['token on the next line', 'Your login token:\n\n  A1B2C3D4\n', ['A1B2C3D4']],
    ['password reset, no code', 'Hi Ann,\nSomeone asked to reset your password. Click https://app.test/reset?token=ab12cd34ef to continue.\nThanks', []],
    ['no keyword', 'Order 123456 has shipped', []],
    ['dates and times are not codes', 'Your code expires on 2026-11-26 at 10:30:45 or 26/11/2026.', []],
    ['prices and decimals', 'Security deposit of $1500 or 1234.56 EUR or 1,234,567 units', []],
    ['email addresses', 'Verification sent to user1234@example.test', []],
    ['far from the keyword', `Your code is below.${' filler'.repeat(40)} Ref 9999`, []],
    ['words without digits', 'Your code word is BANANA', []],
    ['too long', 'Your code is 123456789', []],
    ['several codes', 'Backup codes: 1111-2222 3333 4444', ['1111-2222', '3333', '4444']],
    ['hyphenated', 'Your confirmation code: 482-913', ['482-913']],
    ['letter-prefixed (Google)', 'G-482913 is your Google verification code.', ['482913']],
    ['a date with a code word is still a date', 'Code valid until 2026-11-26.', []],
    ['an id with a long half', 'Verification ticket ABC-123456', []],
  ])('%s', (_name, text, expected) => {
    expect(extractCodes(text)).toEqual(expected);
  });

  it('stays fast on adversarial input', () => {
    const inputs = [
      'code '.repeat(200_000),
      '1'.repeat(1_000_000),
      ('code 1234 ').repeat(100_000),
      'a1'.repeat(500_000),
      ('https://' + 'a'.repeat(1000) + ' ').repeat(500),
      '<img '.repeat(100_000),
    ];
    for (const input of inputs) {
      const started = performance.now();
      const codes = extractCodes(input);
      extractLinks(input, input);
      extractLinks(input, `<a href="${input.slice(0, 300_000)}`);
      expect(codes.length).toBeLessThanOrEqual(20);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('scans only the first 256 KB', () => {
    expect(extractCodes(`${'x '.repeat(maxScanLength)} your code is 5555`)).toEqual([]);
  });
});
