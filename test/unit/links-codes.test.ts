import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { extractCodes, extractLinks, maxScanLength } from '../../src/mime/links-codes.js';
import { parseMessageDetails } from '../../src/mime/message-details.js';
import { cpuMillis } from './cpu-time.js';

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
      const { result: codes, ms } = cpuMillis(() => {
        const found = extractCodes(input);
        extractLinks(input, input);
        extractLinks(input, `<a href="${input.slice(0, 300_000)}`);
        return found;
      });
      expect(codes.length).toBeLessThanOrEqual(20);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('scans only the first 256 KB', () => {
    expect(extractCodes(`${'x '.repeat(maxScanLength)} your code is 5555`)).toEqual([]);
  });
});

// Realistic mail: nodemailer-composed messages parsed as the sandbox parses stored mail.

/** A real MIME message from nodemailer's composer, parsed the way the sandbox parses stored mail. */
async function details(mail: SendMailOptions) {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = await transport.sendMail({ from: 'no-reply@example.test', to: 'ann@example.test', ...mail });
  return parseMessageDetails(info.message as Buffer, String(mail.subject ?? ''));
}

const usFooter = 'Example Inc, 500 Howard St, San Francisco, CA 94107\nCall +1 (555) 123-4567\n© 2024 Example Inc. All rights reserved.';
const deFooter = 'Example GmbH, Friedrichstraße 1, 10115 Berlin\nPLZ 10115 · Telefon 030 12345678 · © 2024';

describe('codes of realistic mail', () => {
  it.each<[string, SendMailOptions, string[]]>([
    ['an English password reset with a phone number and an address in the footer', {
      subject: 'Reset your password',
      text: `Hi Ann,\n\nWe received a request to reset your password. Your code is 482913. Call +1 (555) 123-4567 if this wasn't you.\n\n${usFooter}`,
    }, ['482913']],
    ['an SMS-style 2FA mail with the code in the subject', {
      subject: '739201 is your Example verification code',
      text: 'Use 739201 to sign in. Never share this code with anyone.\n\nExample Inc, 1 Infinite Loop, Cupertino, CA 95014',
    }, ['739201']],
    ['a magic link mail', {
      subject: 'Sign in to Example',
      text: 'Click the link below to sign in:\n\nhttps://app.example.test/magic?k=Zm9v&l=2\n\nThis link expires in 15 minutes.\n\nExample Inc, 1 Infinite Loop, Cupertino, CA 95014\n© 2024',
    }, []],
    ['an order confirmation with an order number, a total and a pickup code', {
      subject: 'Order confirmation 12345678',
      text: 'Thanks for your order!\nOrder number: 12345678\nOrder #87654321\nTotal: $1500.00 or 1500 EUR\n\nYour pickup code is 7391. Show it at the counter.\nQuestions? Call 555-0100 or (415) 555 0199.',
    }, ['7391']],
    ['a shipping notice with a tracking number and a discount code', {
      subject: 'Your package is on its way',
      text: 'Tracking number: 1Z999AA10123456784\nTrack it: https://track.example.test/t?n=1Z999AA10123456784\nEstimated delivery: 2026-11-30\nShip to: Ann Smith, 742 Evergreen Terrace, Springfield, IL 62704\nDiscount code for your next order: SAVE2024',
    }, []],
    ['an English newsletter with a promo code, a zip code and a year range', {
      subject: 'November news',
      text: 'Use promo code WINTER25 for 20% off until 12/31.\nOur office: 100 Main Street, Suite 2400, Austin, TX 78701 (zip code 78701)\nCall us at (512) 555-0199\n© 2019-2024 Example Inc.',
    }, []],
    ['an HTML-only mail with the code in a table cell', {
      subject: 'Verify your e-mail',
      html: `<html><head><title>Your code</title><style>td { font-size: 14px; color: #333333 } .x{width:600px}</style></head><body>
        <table><tr><td>Your code</td><td style="font-size:32px">938271</td></tr></table>
        <!--[if mso]><table width="600"><tr><td>1234</td></tr></table><![endif]-->
        <p>Example Inc, 500 Howard St, San Francisco, CA&nbsp;94107 · Security · &copy; 2024</p></body></html>`,
    }, ['938271']],
    ['an HTML-only mail with the code alone under its heading', {
      subject: 'Welcome',
      html: '<h2>Your verification code is below.</h2><div style="letter-spacing:4px"><b>K7Q2XP</b></div><p>Code valid for 10 minutes. Ref 4455</p>',
    }, ['K7Q2XP']],
    ['a German confirmation with a postcode, a phone number and a year', {
      subject: 'Bitte bestätigen Sie Ihre E-Mail-Adresse',
      text: `Hallo Anna,\n\nIhr Bestätigungscode: 739201\n\nDer Code ist 10 Minuten gültig.\n\n${deFooter}`,
    }, ['739201']],
    ['German compounds', {
      subject: 'Ihr Sicherheitscode',
      text: 'Ihr Sicherheitscode: 481516.\nAlternativ: Verifizierungscode 271828\nBestellung Nr. 45678901 – Ihr Abholcode: 5521.',
    }, ['481516', '271828', '5521']],
    ['a French mail with a grouped code, an order number and a postcode', {
      subject: 'Votre code de vérification',
      text: 'Bonjour,\n\nVotre code\u00a0: 520\u00a0417\n\nCommande n° 45678901\nLivraison : 8 rue de la Paix, 75008 Paris\n© 2024',
    }, ['520417']],
    ['a French newsletter', {
      subject: 'Nos nouveautés',
      text: 'Profitez de -20 % avec le code promo HIVER24 !\nCode postal 75008 · 8 rue de la Paix, 75008 Paris · 01 23 45 67 89',
    }, []],
    ['a Spanish verification with an order number', {
      subject: 'Tu código de verificación',
      text: 'Tu código de verificación es 654321. No lo compartas con nadie.\nPedido n.º 12345678 · Código postal 28013 Madrid',
    }, ['654321']],
    ['a Russian confirmation with an order number', {
      subject: 'Подтверждение входа',
      text: 'Код подтверждения: 654321. Никому не сообщайте этот код.\nЗаказ № 12345678\nПромокод LETO2024 на скидку 20%\n© 2024',
    }, ['654321']],
    ['a Russian newsletter', {
      subject: 'Новости',
      text: 'Промокод LETO2024 на скидку 20%. Почтовый код 101000, Москва.\n© 2024 Пример',
    }, []],
  ])('%s', async (_name, mail, expected) => {
    expect((await details(mail)).codes).toEqual(expected);
  });

  it('gives the links of a reset mail as a user would click them', async () => {
    const reset = 'https://click.example.test/ls/click?upn=abc%2Fdef&t=1';
    const d = await details({
      subject: 'Reset your password',
      html: `<a href="${reset.replace('&', '&amp;')}">Reset</a> <a href="mailto:help@example.test">Help</a> <a href="tel:+15551234567">Call</a> <a href="${reset.replace('&', '&amp;')}">again</a>`,
      text: `Reset: ${reset}.\nHelp: mailto:help@example.test\nDocs: „https://docs.example.test/reset“ or (https://docs.example.test/faq).`,
    });
    expect(d.links).toEqual([reset, 'https://docs.example.test/reset', 'https://docs.example.test/faq']);
  });
});

describe('links of realistic mail', () => {
  it('lists only anchors, not the stylesheets, base or data attributes of a template', async () => {
    const d = await details({
      subject: 'Reset your password',
      html: `<!doctype html><html><head><base href="https://cdn.example.test/">
        <link href="https://fonts.googleapis.com/css?family=Ubuntu:300,400&amp;display=swap" rel="stylesheet" type="text/css">
        <style>@import url(https://fonts.googleapis.com/css?family=Ubuntu);</style></head>
        <body><div data-href="https://app.example.test/track"><!--[if mso]><v:roundrect href="https://app.example.test/reset?t=1"><![endif]-->
        <a class="button" href="https://app.example.test/reset?t=1&amp;u=ann">Reset password</a>
        <map><area shape="rect" coords="0,0,1,1" href="https://app.example.test/help"></map></div></body></html>`,
    });
    expect(d.links).toEqual(['https://app.example.test/reset?t=1&u=ann', 'https://app.example.test/help']);
  });
});

describe('codes: reproductions from realistic mail', () => {
  it.each<[string, string, string[]]>([
    ['a phone number after the code', 'Your code is 482913. Call +1 (555) 123-4567.', ['482913']],
    ['a US phone number on the code line', 'Your code is 482913, or call (555) 123-4567 or 555 123 4567 or +1 555 123 4567', ['482913']],
    ['a ZIP code near the keyword', 'Your code: 482913\nExample Inc, San Francisco, CA 94107', ['482913']],
    ['a year near the keyword', 'Verification code 482913 © 2024', ['482913']],
    ['a French order number and postcode', 'Votre code de confirmation : 520417 — Commande n° 45678901, 8 rue de la Paix, 75008 Paris', ['520417']],
    ['a German postcode and year', 'Ihr Code: 739201 · PLZ 10115 · 2024', ['739201']],
    ['Bestätigungscode', 'Ihr Bestätigungscode: 739201', ['739201']],
    ['Sicherheitscode', 'Ihr Sicherheitscode lautet 481516', ['481516']],
    ['Verifizierungscode', 'Verifizierungscode: 271828', ['271828']],
    ['a grouped code', 'Votre code : 520 417', ['520417']],
    ['a code grouped in pairs', 'Your code is 48 29 13', ['482913']],
    ['a code spelt out digit by digit', 'Ihr Anmeldecode lautet:\n8 4 1 2 9 3', ['841293']],
    ['a code on its own line above the keyword', 'Hi,\n\n738291\n\nThat is your verification code.', ['738291']],
    ['a European phone number on the code line', 'Code: 482913, Hotline 0800 123456, Support 08001234, Tel. 8 800 555 35 35', ['482913']],
    ['Russian', 'Код подтверждения: 654321', ['654321']],
    ['Spanish', 'Tu código es 112233', ['112233']],
    ['Portuguese', 'Seu código de verificação é 246810', ['246810']],
    ['Italian', 'Il tuo codice di accesso è 135790', ['135790']],
    ['Dutch', 'Je verificatiecode is 864209', ['864209']],
    ['Polish', 'Twój kod weryfikacyjny: 975310', ['975310']],
    ['a promo code is not a one-time code', 'Use promo code SAVE2024 or the code promo HIVER24 or código de descuento VERANO24', []],
    ['a year right after the keyword is a code', 'Your PIN: 2024', ['2024']],
    ['codes rank before the keyword comes after them', '111111 is your code. Your code is 222222.', ['222222', '111111']],
    ['a code before "confirm"', 'Enter 482913 to confirm your e-mail address.', ['482913']],
    ['an order number after "confirmation"', 'Order confirmation 12345678: thanks for your order of 2 items', []],
    ['a code of conduct is not a code', 'Read our code of conduct (updated 2024), join 12000 members', []],
    ['a lower-case word with digits is not a code', 'Your code is in the mp4 or h264 or utf8 file', []],
  ])('%s', (_name, text, expected) => {
    expect(extractCodes(text)).toEqual(expected);
  });

  it('scans the HTML too, because HTML-to-text glues a table cell to its label', () => {
    expect(extractCodes('Your code938271\n\n© 2024 Example', '<td>Your code</td><td>938271</td>')).toEqual(['938271']);
  });

  it('stays fast on hostile HTML, for codes and links', () => {
    const hostile = ['<style>'.repeat(100_000), '<!--'.repeat(100_000), '<td>code</td><td>1234</td>'.repeat(20_000), '<'.repeat(500_000), '<a '.repeat(100_000), `<a ${'href="'.repeat(100_000)}`, `<a ${' href= '.repeat(50_000)}`];
    for (const html of hostile) {
      const { result: [codes, links], ms } = cpuMillis(() => [extractCodes('', html), extractLinks(null, html)] as const);
      expect(codes.length).toBeLessThanOrEqual(20);
      expect(links.length).toBeLessThanOrEqual(500);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('keeps links free of surrounding punctuation in any script', () => {
    expect(extractLinks('Lien : «https://a.test/x» ou https://b.test/y… 见 https://c.test/z。', null)).toEqual(['https://a.test/x', 'https://b.test/y', 'https://c.test/z']);
  });
});
