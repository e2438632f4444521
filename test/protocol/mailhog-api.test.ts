import mailhog from 'mailhog';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { rawRequest } from './http-helpers.js';

// SPEC §16: a suite written for MailHog runs against /mailhog with the real `mailhog` npm client, unchanged but
// for its base path.

let sandbox: Sandbox;
let port: number;
let api: ReturnType<typeof mailhog>;
beforeAll(async () => {
  sandbox = await createSandbox({ submission: { port: false }, smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, logLevel: 'silent' });
  port = sandbox.ports.http!;
  api = mailhog({ host: '127.0.0.1', port, basePath: '/mailhog/api' });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.clear());

async function smtpSend(mail: SendMailOptions): Promise<string> {
  const arrived = sandbox.waitForMessage({ subject: String(mail.subject) });
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, ignoreTLS: true });
  await transport.sendMail({ from: 'App <app@example.test>', ...mail });
  transport.close();
  return (await arrived).id;
}

describe('MailHog API with the mailhog client', () => {
  it("lists messages newest first in MailHog's shape, with start and limit", async () => {
    await smtpSend({ to: 'ann@example.test', subject: 'First', text: 'one' });
    const second = await smtpSend({ to: 'Bob <bob@example.test>', cc: 'carl@example.test', subject: 'Grüße', text: 'Zweite Nachricht: äöü', attachments: [{ filename: 'notes.txt', content: 'attached text' }] });
    const result = await api.messages();
    expect(result).toMatchObject({ total: 2, count: 2, start: 0 });
    const [item] = result!.items;
    expect(item.ID).toBe(second);
    // The client's own decoding, from Content.Headers, MIME.Parts and their transfer encodings:
    expect(item.subject).toBe('Grüße');
    expect(item.from).toBe('App <app@example.test>');
    expect(item.to).toBe('Bob <bob@example.test>');
    expect(item.cc).toBe('carl@example.test');
    expect(item.text).toContain('Zweite Nachricht: äöü');
    expect(item.attachments.map((a) => [a.name, a.type])).toEqual([['notes.txt', 'text/plain; name=notes.txt']]);
    expect(api.decode(item.attachments[0].Body, item.attachments[0].encoding)).toBe('attached text');
    expect(item.deliveryDate.getTime()).toBe(Date.parse(sandbox.store.get(second)!.receivedAt.toISOString()));
    const raw = item as unknown as { From: { Mailbox: string; Domain: string }; To: Array<{ Mailbox: string; Domain: string }>; Raw: { From: string; To: string[]; Data: string; Helo: string } };
    expect(raw.From).toMatchObject({ Mailbox: 'app', Domain: 'example.test' });
    expect(raw.To.map((p) => `${p.Mailbox}@${p.Domain}`).sort()).toEqual(['bob@example.test', 'carl@example.test']);
    expect(raw.Raw.Data).toBe(sandbox.store.get(second)!.raw.toString('utf8'));
    expect(raw.Raw.Helo).not.toBe('');
    const paged = await api.messages(1, 1);
    expect(paged).toMatchObject({ total: 2, count: 1, start: 1 });
    expect(paged!.items[0].subject).toBe('First');
  });

  it('searches by each kind: from, to and containing', async () => {
    await smtpSend({ to: 'ann@example.test', subject: 'Reset', text: 'Your reset code is 774411' });
    await smtpSend({ from: 'billing@example.test', to: 'bob@example.test', subject: 'Invoice', text: 'Amount due: 12 EUR' });
    const subjects = async (query: string, kind: 'from' | 'to' | 'containing') => (await api.search(query, kind))!.items.map((m) => m.subject);
    expect(await subjects('billing@', 'from')).toEqual(['Invoice']);
    expect(await subjects('ann@example.test', 'to')).toEqual(['Reset']);
    expect(await subjects('code is 774411', 'containing')).toEqual(['Reset']);
    expect(await subjects('Invoice', 'containing')).toEqual(['Invoice']);
    expect(await subjects('nobody@', 'to')).toEqual([]);
    const bad = await rawRequest(port, { path: '/mailhog/api/v2/search?kind=subject&query=x' });
    expect(bad.status).toBe(400);
  });

  it('finds the latest message to, from and containing something', async () => {
    await smtpSend({ to: 'ann@example.test', subject: 'Old', text: 'token A' });
    await smtpSend({ to: 'ann@example.test', subject: 'New', text: 'token B' });
    expect((await api.latestTo('ann@example.test'))?.subject).toBe('New');
    expect((await api.latestFrom('app@example.test'))?.subject).toBe('New');
    expect((await api.latestContaining('token A'))?.subject).toBe('Old');
    expect(await api.latestContaining('token C')).toBe(0);
  });

  it('deletes one message and then all messages', async () => {
    const one = await smtpSend({ to: 'ann@example.test', subject: 'One', text: 'x' });
    await smtpSend({ to: 'ann@example.test', subject: 'Two', text: 'x' });
    const res = await api.deleteMessage(one);
    expect(res.statusCode).toBe(200);
    expect(sandbox.messages().map((m) => m.subject)).toEqual(['Two']);
    const all = await api.deleteAll();
    expect(all.statusCode).toBe(200);
    expect(sandbox.messages()).toHaveLength(0);
    expect((await api.messages())!.total).toBe(0);
    expect((await rawRequest(port, { method: 'DELETE', path: `/mailhog/api/v1/messages/${one}` })).status).toBe(404);
  });
});

describe('MailHog API beyond the client', () => {
  it('downloads the exact bytes as message/rfc822', async () => {
    const id = await smtpSend({ to: 'ann@example.test', subject: 'Download', text: 'bytes' });
    const res = await fetch(`${sandbox.url}/mailhog/api/v1/messages/${id}/download`);
    expect(res.headers.get('content-type')).toBe('message/rfc822');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}.eml"`);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(sandbox.store.get(id)!.raw);
  });

  it('streams each new message over the v1 SSE events endpoint', async () => {
    const controller = new AbortController();
    const res = await fetch(`${sandbox.url}/mailhog/api/v1/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    // The comment line comes first: once read, the subscription is in place.
    let text = new TextDecoder().decode((await reader.read()).value);
    const id = await smtpSend({ to: 'ann@example.test', subject: 'Streamed', text: 'hello' });
    while (!text.includes('\n\nevent: data\ndata: ') || !text.endsWith('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const data = JSON.parse(text.split('event: data\ndata: ')[1].trim()) as { ID: string; Content: { Headers: Record<string, string[]> } };
    expect(data.ID).toBe(id);
    expect(data.Content.Headers.Subject).toEqual(['Streamed']);
    controller.abort();
  });

  it('answers bad paging and unknown messages with a clear 400 or 404, and keeps serving', async () => {
    expect((await rawRequest(port, { path: '/mailhog/api/v2/messages?limit=ten' })).status).toBe(400);
    expect((await rawRequest(port, { path: '/mailhog/api/v2/search?kind=to' })).status).toBe(400);
    const missing = await rawRequest(port, { path: '/mailhog/api/v1/messages/nope/download' });
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('Message not found');
    expect((await rawRequest(port, { method: 'PATCH', path: '/mailhog/api/v1/messages' })).status).toBe(405);
    expect((await api.messages())!.total).toBe(0);
  });

  it('refuses cross-site requests like /api does', async () => {
    const res = await rawRequest(port, { path: '/mailhog/api/v2/messages', headers: { Origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
  });
});
