import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MessageDetailsCache, parseMessageDetails } from '../../src/mime/message-details.js';
import { MessageStore } from '../../src/store/message-store.js';
import { toMailMessage } from '../../src/store/message-view.js';
import { resolveConfig } from '../../src/config.js';
import { createServerContext } from '../../src/shared/server-context.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/messages/${name}`, import.meta.url));

describe('parseMessageDetails', () => {
  it('lists attachments with index, decoded file names, types, sizes and dispositions', async () => {
    const d = await parseMessageDetails(fixture('mixed-attachments.eml'));
    expect(d.text?.trim()).toBe('Files attached.');
    expect(d.attachments).toEqual([
      { index: 0, filename: 'report.pdf', contentType: 'application/pdf', size: 9, contentId: null, disposition: 'attachment' },
      { index: 1, filename: 'photo.jpg', contentType: 'image/jpeg', size: 6, contentId: null, disposition: 'attachment' },
      { index: 2, filename: 'über uns.txt', contentType: 'text/plain', size: 9, contentId: null, disposition: 'attachment' },
    ]);
    expect(d.attachmentContent(0)?.toString()).toBe('%PDF-1.4\n');
    expect(d.attachmentContent(2)?.toString('utf8')).toBe('über uns');
    expect(d.attachmentContent(3)).toBeUndefined();
  });

  it('decodes header values but keeps names as written and in order', async () => {
    const d = await parseMessageDetails(fixture('encoded-words.eml'));
    expect(d.headers.slice(0, 5)).toEqual([
      { name: 'From', value: 'Jörg Müller <joerg@example.de>' },
      { name: 'Sender', value: 'André <andre@example.fr>' },
      { name: 'Reply-To', value: '"Support Team" <support@example.de>' },
      { name: 'To', value: 'Zoë <zoe@example.com>' },
      { name: 'Subject', value: 'Grüße aus Köln' },
    ]);
    expect(d.replyTo).toEqual([{ name: 'Support Team', address: 'support@example.de' }]);
    expect(d.text?.trim()).toBe('Grüße');
  });

  it('inlines cid: images as data: URLs so the sandboxed frame needs no further request', async () => {
    const d = await parseMessageDetails(fixture('related-inline.eml'));
    expect(d.html).toContain('src="data:image/png;base64,');
    expect(d.html).not.toContain('cid:');
    expect(d.attachments[0]).toMatchObject({ filename: 'logo.png', contentId: 'logo@example.org', disposition: 'inline' });
  });

  it('finds links and codes, the subject included for codes', async () => {
    const raw = Buffer.from('From: a@x.test\r\nTo: b@x.test\r\nSubject: 739201 is your login code\r\nContent-Type: text/html\r\n\r\n<p>Or <a href="https://x.test/magic?k=1&amp;l=2">sign in</a></p>\r\n');
    const d = await parseMessageDetails(raw, '739201 is your login code');
    expect(d.links).toEqual(['https://x.test/magic?k=1&l=2']);
    expect(d.codes).toEqual(['739201']);
  });

  it('never throws on malformed messages', async () => {
    for (const raw of [Buffer.alloc(0), Buffer.from('\x00\xff\xfe garbage'), fixture('broken-multipart.eml'), Buffer.from('Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x\r\n')]) {
      const d = await parseMessageDetails(raw);
      expect(Array.isArray(d.attachments)).toBe(true);
    }
  });
});

describe('MessageDetailsCache', () => {
  it('parses once per id and evicts the least recently used past the entry cap', async () => {
    const cache = new MessageDetailsCache(2);
    const raw = fixture('plain-text.eml');
    const a = cache.get('a', raw, '');
    expect(cache.get('a', raw, '')).toBe(a);
    cache.get('b', raw, '');
    cache.get('a', raw, '');
    cache.get('c', raw, '');
    expect(cache.size).toBe(2);
    expect(cache.get('a', raw, '')).toBe(a);
    await a;
  });

  it('is bounded by bytes too, keeping at least the newest entry', () => {
    const cache = new MessageDetailsCache(100, 1000);
    const big = Buffer.alloc(800, 0x41);
    cache.get('a', big, '');
    cache.get('b', big, '');
    expect(cache.size).toBe(1);
    cache.get('c', Buffer.alloc(5000, 0x41), '');
    expect(cache.size).toBe(1);
  });

  it('drops a message when the store deletes it, and is separate per sandbox', async () => {
    const config = resolveConfig({ logLevel: 'silent' });
    const tls = { key: '', cert: '', isSelfSigned: true, fingerprint256: '' };
    const one = createServerContext(config, tls);
    const two = createServerContext(config, tls);
    const m = one.store.deliver({ raw: fixture('plain-text.eml'), envelope: { mailFrom: '', rcptTo: ['a@x.test'] }, source: 'api' });
    const full = await toMailMessage(one.store, one.details, m);
    expect(full.raw.equals(m.raw)).toBe(true);
    expect(one.details.size).toBe(1);
    expect(two.details.size).toBe(0);
    one.store.deleteMessage(m.id);
    expect(one.details.size).toBe(0);
  });
});
