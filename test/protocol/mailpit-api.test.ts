import { createHash } from 'node:crypto';
import { MailpitClient } from 'mailpit-api';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { apiJson, rawRequest } from './http-helpers.js';
import { assertMailpitDefinition, assertMailpitShape } from './mailpit-schema.js';

// SPEC §16: a suite written for Mailpit runs against /mailpit with the real `mailpit-api` client; every JSON answer
// is checked against Mailpit's own OpenAPI document (fixtures/mailpit-swagger.json).

let sandbox: Sandbox;
let mailpit: MailpitClient;
let url: string;
beforeAll(async () => {
  sandbox = await createSandbox({ submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, logLevel: 'silent' });
  url = sandbox.url!;
  mailpit = new MailpitClient(`${url}/mailpit`);
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  sandbox.clear();
  await sandbox.faults.clear();
});

async function smtpSend(mail: SendMailOptions): Promise<string> {
  const arrived = sandbox.waitForMessage({ subject: String(mail.subject) });
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, ignoreTLS: true });
  await transport.sendMail({ from: 'App <app@example.test>', text: 'hello', ...mail });
  transport.close();
  return (await arrived).id;
}

const invoice = Buffer.from('%PDF-1.4 pretend invoice\n');
const sendOrder = (n: number, extra: SendMailOptions = {}) =>
  smtpSend({ to: 'Ann <ann@example.test>', subject: `Order ${n}`, text: `Your order number ${n} has shipped. Track it at https://shop.example.test/track/${n}`, ...extra });

describe('Mailpit API: messages', () => {
  it('lists messages newest first with every MessagesSummary field, and pages with start and limit', async () => {
    await sendOrder(1, { cc: 'Carl <carl@example.test>', bcc: 'audit@example.test', replyTo: 'help@example.test', attachments: [{ filename: 'invoice.pdf', content: invoice }], headers: { 'X-Tags': 'shop' } });
    await sendOrder(2);
    const list = await mailpit.listMessages();
    assertMailpitShape('GET', '/api/v1/messages', list);
    expect(list).toMatchObject({ total: 2, unread: 2, messages_count: 2, messages_unread: 2, start: 0, tags: ['shop'] });
    expect(list.messages.map((m) => m.Subject)).toEqual(['Order 2', 'Order 1']);
    const first = list.messages[1];
    expect(first).toMatchObject({ Read: false, Attachments: 1, Tags: ['shop'], From: { Name: 'App', Address: 'app@example.test' }, To: [{ Name: 'Ann', Address: 'ann@example.test' }] });
    expect(first.Cc).toEqual([{ Name: 'Carl', Address: 'carl@example.test' }]);
    expect(first.ReplyTo).toEqual([{ Name: '', Address: 'help@example.test' }]);
    expect(first.Snippet).toContain('Your order number 1 has shipped.');
    const second = await mailpit.listMessages(1, 1);
    assertMailpitShape('GET', '/api/v1/messages', second);
    expect(second.messages.map((m) => m.Subject)).toEqual(['Order 1']);
    expect(second).toMatchObject({ start: 1, total: 2 });
  });

  it("is checked by a schema that fails on a missing or mistyped field (the checks above can fail)", async () => {
    await sendOrder(1);
    const list = await mailpit.listMessages();
    const { Snippet: _dropped, ...withoutSnippet } = list.messages[0];
    expect(() => assertMailpitShape('GET', '/api/v1/messages', { ...list, messages: [withoutSnippet] })).toThrow(/Snippet/);
    expect(() => assertMailpitShape('GET', '/api/v1/messages', { ...list, total: '1' })).toThrow(/total/);
  });

  it("searches with Mailpit's syntax, mapped onto the query language", async () => {
    await sendOrder(1, { attachments: [{ filename: 'invoice.pdf', content: invoice }], bcc: 'audit@example.test' });
    await sendOrder(2, { to: 'bob@example.test', headers: { 'X-Tags': 'vip' } });
    const subjects = async (query: string) => {
      const result = await mailpit.searchMessages({ query });
      assertMailpitShape('GET', '/api/v1/search', result);
      expect(result.total).toBe(2);
      return result.messages.map((m) => m.Subject);
    };
    expect(await subjects('subject:"Order 1"')).toEqual(['Order 1']);
    expect(await subjects('to:bob@')).toEqual(['Order 2']);
    expect(await subjects('!to:bob@')).toEqual(['Order 1']);
    expect(await subjects('-to:bob@ from:app@example.test')).toEqual(['Order 1']);
    expect(await subjects('has:attachment')).toEqual(['Order 1']);
    expect(await subjects('tag:vip')).toEqual(['Order 2']);
    expect(await subjects('addressed:audit@example.test')).toEqual(['Order 1']);
    expect(await subjects('bcc:audit@')).toEqual(['Order 1']);
    expect(await subjects('"number 2 has shipped"')).toEqual(['Order 2']);
    expect(await subjects('is:unread')).toEqual(['Order 2', 'Order 1']);
    const counted = await mailpit.searchMessages({ query: 'shipped', start: 1, limit: 1 });
    expect(counted).toMatchObject({ messages_count: 2, messages_unread: 2, start: 1 });
    expect(counted.messages.map((m) => m.Subject)).toEqual(['Order 1']);
  });

  it('refuses a search term it cannot honour with a 400 naming it, and a missing query', async () => {
    await expect(mailpit.searchMessages({ query: 'larger:1M' })).rejects.toThrow(/400 .*larger:1M.*not supported/);
    await expect(mailpit.searchMessages({ query: '' })).rejects.toThrow(/400/);
  });

  it('returns a message with every Message field, by ID and as latest, and marks it read like Mailpit', async () => {
    const id = await sendOrder(1, {
      html: '<p>Your order <b>1</b></p><img src="cid:logo@shop">',
      attachments: [
        { filename: 'invoice.pdf', content: invoice },
        { filename: 'logo.png', content: Buffer.from('PNGDATA'), cid: 'logo@shop' },
      ],
      headers: { 'List-Unsubscribe': '<https://shop.example.test/unsub>, <mailto:unsub@example.test>' },
    });
    const newer = await sendOrder(2);
    const message = await mailpit.getMessageSummary(id);
    assertMailpitShape('GET', '/api/v1/message/{ID}', message);
    expect(message).toMatchObject({ ID: id, Subject: 'Order 1', ReturnPath: 'app@example.test', Username: '' });
    expect(message.Text).toContain('Your order number 1 has shipped.');
    expect(message.HTML).toContain('<b>1</b>');
    expect(message.ListUnsubscribe.Links).toEqual(['https://shop.example.test/unsub', 'mailto:unsub@example.test']);
    expect(message.Attachments.map((a) => [a.FileName, a.ContentType, a.Size])).toEqual([['invoice.pdf', 'application/pdf', invoice.length]]);
    expect(message.Attachments[0].Checksums.SHA256).toBe(createHash('sha256').update(invoice).digest('hex'));
    expect(message.Inline.map((a) => [a.FileName, a.ContentID])).toEqual([['logo.png', 'logo@shop']]);
    const part = await mailpit.getMessageAttachment(id, message.Attachments[0].PartID);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(invoice);
    const latest = await mailpit.getMessageSummary();
    expect(latest.ID).toBe(newer);
    expect((await mailpit.searchMessages({ query: 'is:read' })).messages.map((m) => m.ID).sort()).toEqual([id, newer].sort());
    await expect(mailpit.getMessageSummary('no-such-id')).rejects.toThrow(/404/);
  });

  it('serves the raw source and the headers', async () => {
    const id = await sendOrder(1, { headers: { 'X-Trace': 'a1' } });
    const source = await mailpit.getMessageSource(id);
    expect(source).toBe(sandbox.store.get(id)!.raw.toString('utf8'));
    const headers = await mailpit.getMessageHeaders(id);
    assertMailpitShape('GET', '/api/v1/message/{ID}/headers', headers);
    expect(headers.Subject).toEqual(['Order 1']);
    expect(headers['X-Trace']).toEqual(['a1']);
    expect(await mailpit.renderMessageText(id)).toContain('Your order number 1');
  });

  it('sets read status by IDs, by search and for every message', async () => {
    const one = await sendOrder(1);
    await sendOrder(2);
    expect(await mailpit.setReadStatus({ IDs: [one], Read: true })).toBe('ok');
    expect(sandbox.messages('is:read').map((m) => m.id)).toEqual([one]);
    await mailpit.setReadStatus({ Read: true, Search: 'subject:"Order 2"' });
    expect(sandbox.messages('is:unread')).toHaveLength(0);
    await mailpit.setReadStatus({ Read: false });
    expect(sandbox.messages('is:unread')).toHaveLength(2);
    await expect(mailpit.setReadStatus({ IDs: [one], Search: 'x', Read: true })).rejects.toThrow(/400/);
  });

  it('deletes named messages, messages matching a search, and every message', async () => {
    const one = await sendOrder(1);
    await sendOrder(2);
    await sendOrder(3);
    expect(await mailpit.deleteMessages({ IDs: [one] })).toBe('ok');
    expect(sandbox.messages().map((m) => m.subject).sort()).toEqual(['Order 2', 'Order 3']);
    expect(await mailpit.deleteMessagesBySearch({ query: 'subject:"Order 2"' })).toBe('ok');
    expect(sandbox.messages().map((m) => m.subject)).toEqual(['Order 3']);
    expect(await mailpit.deleteMessages()).toBe('ok');
    expect(sandbox.messages()).toHaveLength(0);
  });
});

describe('Mailpit API: tags, send, info, chaos, checks', () => {
  it('sets, lists, renames and deletes tags', async () => {
    const one = await sendOrder(1);
    const two = await sendOrder(2);
    expect(await mailpit.setTags({ IDs: [one, two], Tags: ['beta', 'Alpha'] })).toBe('ok');
    const tags = await mailpit.getTags();
    assertMailpitShape('GET', '/api/v1/tags', tags);
    expect(tags).toEqual(['Alpha', 'beta']);
    await mailpit.renameTag('beta', 'gamma');
    await mailpit.deleteTag('Alpha');
    expect(await mailpit.getTags()).toEqual(['gamma']);
    expect(sandbox.store.get(one)!.tags).toEqual(['gamma']);
    await mailpit.setTags({ IDs: [one], Tags: [] });
    expect(sandbox.store.get(one)!.tags).toEqual([]);
  });

  it('sends a message with attachments and tags through POST /send, stored like one received', async () => {
    const sent = await mailpit.sendMessage({
      From: { Email: 'app@example.test', Name: 'App' },
      To: [{ Email: 'ann@example.test', Name: 'Ann' }],
      Bcc: ['audit@example.test'],
      Subject: 'Sent through Mailpit',
      Text: 'plain body',
      HTML: '<p>html body</p>',
      Tags: ['api'],
      Headers: { 'X-Origin': 'test' },
      Attachments: [{ Filename: 'note.txt', Content: Buffer.from('attached').toString('base64'), ContentType: 'text/plain' }],
    });
    assertMailpitShape('POST', '/api/v1/send', sent);
    const stored = await sandbox.getMessage(sent.ID);
    expect(stored).toMatchObject({ subject: 'Sent through Mailpit', text: expect.stringContaining('plain body'), tags: ['api'] });
    expect(stored!.envelope.rcptTo.sort()).toEqual(['ann@example.test', 'audit@example.test']);
    expect(stored!.attachments.map((a) => a.filename)).toEqual(['note.txt']);
    const refused = await apiJson(sandbox, '/mailpit/api/v1/send', { method: 'POST', body: JSON.stringify({ To: [{ Email: 'x@example.test' }] }) });
    expect(refused.status).toBe(400);
    expect(refused.body.Error).toMatch(/From/);
  });

  it('answers info and webui with every field Mailpit documents', async () => {
    await sendOrder(1, { headers: { 'X-Tags': 'shop' } });
    const info = await mailpit.getInfo();
    assertMailpitShape('GET', '/api/v1/info', info);
    expect(info).toMatchObject({ Messages: 1, Unread: 1, Tags: { shop: 1 }, Version: sandbox.info().version });
    const webui = await mailpit.getConfiguration();
    assertMailpitShape('GET', '/api/v1/webui', webui);
    expect(webui).toMatchObject({ ChaosEnabled: true, SpamAssassin: false, MessageRelay: { Enabled: false } });
  });

  it('maps chaos triggers onto SMTP fault rules, and a PUT without triggers takes them away', async () => {
    const set = await mailpit.setChaosTriggers({ Sender: { ErrorCode: 452, Probability: 100 }, Recipient: { ErrorCode: 550, Probability: 25 } });
    assertMailpitShape('PUT', '/api/v1/chaos', set);
    expect(set).toEqual({ Sender: { ErrorCode: 452, Probability: 100 }, Recipient: { ErrorCode: 550, Probability: 25 }, Authentication: { ErrorCode: 535, Probability: 0 } });
    const rules = await sandbox.faults.list();
    expect(rules.map((r) => [r.protocol, r.on, r.action, r.probability, r.reply?.slice(0, 3)]).sort()).toEqual([
      ['smtp', 'mail', 'reply', 1, '452'],
      ['smtp', 'rcpt', 'reply', 0.25, '550'],
    ]);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, ignoreTLS: true });
    await expect(transport.sendMail({ from: 'app@example.test', to: 'ann@example.test', subject: 'chaos', text: 'x' })).rejects.toMatchObject({ responseCode: 452 });
    const read = await mailpit.getChaosTriggers();
    assertMailpitShape('GET', '/api/v1/chaos', read);
    expect(read).toEqual(set);
    expect(await mailpit.setChaosTriggers({})).toEqual({ Sender: { ErrorCode: 451, Probability: 0 }, Recipient: { ErrorCode: 451, Probability: 0 }, Authentication: { ErrorCode: 535, Probability: 0 } });
    expect(await sandbox.faults.list()).toHaveLength(0);
    await transport.sendMail({ from: 'app@example.test', to: 'ann@example.test', subject: 'calm', text: 'x' });
    transport.close();
    await expect(mailpit.setChaosTriggers({ Sender: { ErrorCode: 200, Probability: 5 } })).rejects.toThrow(/400 .*between 400 and 599/);
  });

  it('answers the HTML check in its shape, and says which flag the link and spam checks need', async () => {
    const id = await sendOrder(1, { html: '<div style="display:flex"><p>Hi</p></div>' });
    const html = await mailpit.htmlCheck(id);
    assertMailpitShape('GET', '/api/v1/message/{ID}/html-check', html);
    expect(html.Warnings.map((w) => w.Slug)).toContain('css-display-flex');
    expect(html.Total.Tests).toBeGreaterThan(0);
    await expect(mailpit.linkCheck(id)).rejects.toThrow(/400 .*--link-check/);
    await expect(mailpit.spamAssassinCheck(id)).rejects.toThrow(/400 .*--spamd/);
  });
});

describe('Mailpit API: several mailboxes', () => {
  it('scopes lists, latest, counts and delete-all to one mailbox under /mailpit/mailbox/ADDRESS', async () => {
    await sendOrder(1, { to: 'ann@example.test' });
    const bobs = await sendOrder(2, { to: 'bob@example.test' });
    await sendOrder(3, { to: 'ann@example.test' });
    const bob = new MailpitClient(`${url}/mailpit/mailbox/bob@example.test`);
    const list = await bob.listMessages();
    assertMailpitShape('GET', '/api/v1/messages', list);
    expect(list).toMatchObject({ total: 1, messages_count: 1 });
    expect((await bob.getMessageSummary()).ID).toBe(bobs);
    expect((await bob.getInfo()).Messages).toBe(1);
    await bob.deleteMessages();
    expect(sandbox.messages().map((m) => m.subject).sort()).toEqual(['Order 1', 'Order 3']);
    expect((await mailpit.listMessages()).total).toBe(2);
  });
});

describe('Mailpit API: events WebSocket', () => {
  it("pushes new, update, delete and stats frames in Mailpit's shapes", async () => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/mailpit/api/events`);
    const frames: Array<{ Type: string; Data: any }> = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (data) => {
      frames.push(JSON.parse(String(data)));
      for (const w of waiters.splice(0)) w();
    });
    const frame = (type: string, pred: (d: any) => boolean = () => true) =>
      new Promise<{ Type: string; Data: any }>((done) => {
        const look = () => {
          const f = frames.find((x) => x.Type === type && pred(x.Data));
          if (f) done(f);
          else waiters.push(look);
        };
        look();
      });
    await new Promise((open) => ws.once('open', open));
    const id = await sendOrder(1);
    const added = await frame('new');
    assertMailpitDefinition('MessageSummary', added.Data);
    expect(added.Data).toMatchObject({ ID: id, Subject: 'Order 1', Read: false });
    expect((await frame('stats', (d) => d.Total === 1)).Data).toMatchObject({ Total: 1, Unread: 1 });
    await mailpit.setReadStatus({ IDs: [id], Read: true });
    expect((await frame('update', (d) => d.Read === true)).Data).toMatchObject({ ID: id, Read: true });
    await mailpit.deleteMessages({ IDs: [id] });
    expect((await frame('delete')).Data).toEqual({ ID: id });
    ws.close();
  });

  it("sends a mailbox-scoped client only that mailbox's new messages", async () => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/mailpit/mailbox/bob@example.test/api/events`);
    const firstNew = new Promise<{ Type: string; Data: any }>((done) =>
      ws.on('message', (data) => {
        const f = JSON.parse(String(data));
        if (f.Type === 'new') done(f);
      }),
    );
    await new Promise((open) => ws.once('open', open));
    await sendOrder(1, { to: 'ann@example.test' });
    const bobs = await sendOrder(2, { to: 'bob@example.test' });
    expect((await firstNew).Data.ID).toBe(bobs);
    ws.close();
  });

  it('refuses a cross-site WebSocket upgrade', async () => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/mailpit/api/events`, { headers: { Origin: 'https://evil.example' } });
    const status = await new Promise<number>((done) => ws.on('unexpected-response', (_req, res) => done(res.statusCode ?? 0)));
    expect(status).toBe(403);
  });
});

describe('Mailpit API: HTTP safety and bad input (SPEC §8, §10)', () => {
  it('refuses cross-site requests and sets the same protective headers as /api', async () => {
    const port = Number(new URL(url).port);
    const crossSite = await rawRequest(port, { path: '/mailpit/api/v1/messages', headers: { Origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    const fine = await rawRequest(port, { path: '/mailpit/api/v1/messages' });
    expect(fine.status).toBe(200);
    expect(fine.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(fine.headers['x-content-type-options']).toBe('nosniff');
    expect(fine.headers['cache-control']).toBe('no-store');
  });

  it('answers 413 before reading a body past the limit, and 400 to broken JSON, and keeps serving', async () => {
    const port = Number(new URL(url).port);
    const huge = await rawRequest(port, { method: 'PUT', path: '/mailpit/api/v1/messages', headers: { 'Content-Type': 'application/json', 'Content-Length': String(10 ** 12) } });
    expect(huge.status).toBe(413);
    const broken = await rawRequest(port, { method: 'PUT', path: '/mailpit/api/v1/messages', headers: { 'Content-Type': 'application/json' }, body: '{"Read": tru' });
    expect(broken.status).toBe(400);
    expect(broken.headers['content-type']).toMatch(/^text\/plain/);
    const unknown = await rawRequest(port, { path: '/mailpit/api/v1/nothing-here' });
    expect(unknown.status).toBe(404);
    expect((await mailpit.listMessages()).total).toBe(0);
  });

  it('refuses a release without a configured relay, naming the flag, and sends nothing', async () => {
    const id = await sendOrder(1);
    await expect(mailpit.releaseMessage(id, { To: ['ann@elsewhere.test'] })).rejects.toThrow(/400 .*--relay/);
  });

  it('serves a message HTML view only inside a sandboxing CSP', async () => {
    const id = await sendOrder(1, { html: '<p>hi</p><script>alert(1)</script>' });
    const res = await fetch(`${url}/mailpit/view/${id}.html`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
    expect(await res.text()).toContain('<p>hi</p>');
  });
});
