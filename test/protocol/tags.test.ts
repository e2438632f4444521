import nodemailer, { type SendMailOptions } from 'nodemailer';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createSandbox, type Sandbox } from '../../src/index.js';
import { apiJson, inject, simpleEml } from './http-helpers.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox({ smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, logLevel: 'silent' });
});
afterAll(() => sandbox.close());

function smtpSend(mail: SendMailOptions) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, ignoreTLS: true });
  return transport.sendMail({ from: 'app@example.test', text: 'hello', ...mail });
}

const putTags = (id: string, tags: unknown) =>
  apiJson(sandbox, `/api/v1/messages/${id}/tags`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tags }) });

describe('tags at arrival', () => {
  it('takes tags from an X-Tags header, trimmed, with case kept and case-insensitive duplicates dropped', async () => {
    const wait = sandbox.waitForMessage({ subject: 'x-tags arrival' });
    await smtpSend({ to: 'ann@example.test', subject: 'x-tags arrival', headers: { 'X-Tags': '  Signup , QA,signup,  , Release 2.1 ' } });
    const msg = await wait;
    expect(msg.tags).toEqual(['Signup', 'QA', 'Release 2.1']);
  });

  it('takes the detail of plus-addressed envelope recipients as tags, Bcc included', async () => {
    const wait = sandbox.waitForMessage({ subject: 'plus arrival' });
    await smtpSend({ to: 'ann+signup@example.test', bcc: 'ops+Audit@example.test', subject: 'plus arrival' });
    const msg = await wait;
    expect(msg.tags).toEqual(['signup', 'Audit']);
    expect(msg.mailboxes.sort()).toEqual(['ann+signup@example.test', 'ops+audit@example.test']);
  });

  it('tags messages injected over HTTP from their X-Tags header too', async () => {
    const raw = Buffer.from(simpleEml({ subject: 'injected tags' }).toString().replace('Subject:', 'X-Tags: seed, Fixture\r\nSubject:'));
    const res = await inject(sandbox, raw, '?mailbox=zed@example.test');
    expect(res.status).toBe(201);
    expect(((await res.json()) as { tags: string[] }).tags).toEqual(['seed', 'Fixture']);
  });
});

describe('PUT /api/v1/messages/:id/tags', () => {
  it('replaces the tags, answers the summary and sends message.updated with the tags on the feed', async () => {
    const summary = await sandbox.send({ from: 'app@example.test', to: 'bea@example.test', subject: 'edit me', text: 'x', headers: { 'X-Tags': 'old' } });
    const ws = new WebSocket(`ws://127.0.0.1:${sandbox.ports.http}/api/v1/events`);
    const updated = new Promise<any>((resolve) =>
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data));
        if (frame.type === 'message.updated' && frame.data.id === summary.id) resolve(frame.data);
      }),
    );
    await new Promise((resolve) => ws.once('open', resolve));
    const { status, body } = await putTags(summary.id, [' Billing ', 'urgent', 'URGENT']);
    expect(status).toBe(200);
    expect(body.tags).toEqual(['Billing', 'urgent']);
    expect((await updated).tags).toEqual(['Billing', 'urgent']);
    ws.close();
    const listed = await apiJson(sandbox, `/api/v1/messages?query=${encodeURIComponent('subject:"edit me"')}`);
    expect(listed.body.messages[0].tags).toEqual(['Billing', 'urgent']);
  });

  it('answers 404 for an unknown message and 400 naming tags for a bad body', async () => {
    expect((await putTags('nope', ['a'])).status).toBe(404);
    const summary = await sandbox.send({ from: 'app@example.test', to: 'bea@example.test', subject: 'bad tags', text: 'x' });
    const bad = await putTags(summary.id, 'not-a-list');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^tags:/);
    const numbers = await putTags(summary.id, [1, 2]);
    expect(numbers.status).toBe(400);
  });

  it('lists every tag in use with its count at GET /api/v1/tags', async () => {
    const { body } = await apiJson(sandbox, '/api/v1/tags');
    const signup = body.tags.find((t: { tag: string }) => t.tag.toLowerCase() === 'signup');
    expect(signup.count).toBeGreaterThanOrEqual(2);
  });
});

describe('finding mail by tag', () => {
  it('matches tag: in the query language case-insensitively and whole, and negates it with -tag:', async () => {
    const a = await sandbox.send({ from: 'app@example.test', to: 'cy@example.test', subject: 'tag search A', text: 'x', tags: ['Feature-X'] });
    const b = await sandbox.send({ from: 'app@example.test', to: 'cy@example.test', subject: 'tag search B', text: 'x', tags: ['feature-x-old'] });
    const ids = async (query: string) => (await apiJson(sandbox, `/api/v1/messages?query=${encodeURIComponent(query)}`)).body.messages.map((m: { id: string }) => m.id);
    expect(await ids('tag:feature-x')).toEqual([a.id]);
    expect(await ids('tag:FEATURE-X subject:"tag search"')).toEqual([a.id]);
    expect(await ids('-tag:feature-x subject:"tag search"')).toEqual([b.id]);
    expect(sandbox.messages({ tag: 'feature-x-old' }).map((m) => m.id)).toEqual([b.id]);
    expect(sandbox.messages('tag:"release 2.1"')).toHaveLength(1);
  });

  it('waits for a tagged message with waitForMessage({ tag }) in the library and the client', async () => {
    const client = createClient(sandbox.url!);
    const inProcess = sandbox.waitForMessage({ tag: 'Nightly' }, { timeout: 5000 });
    const remote = client.waitForMessage({ tag: 'nightly' }, { timeout: 5000 });
    await sandbox.send({ from: 'app@example.test', to: 'dee@example.test', subject: 'not this one', text: 'x', tags: ['other'] });
    await smtpSend({ to: 'dee+nightly@example.test', subject: 'nightly build' });
    expect((await inProcess).subject).toBe('nightly build');
    expect((await remote).subject).toBe('nightly build');
  });

  it('edits tags through sandbox.setTags() and client.setTags(), and both filter on them', async () => {
    const client = createClient(sandbox.url!);
    const s = await sandbox.send({ from: 'app@example.test', to: 'eve@example.test', subject: 'retag', text: 'x' });
    expect(sandbox.setTags(s.id, ['Triage'])?.tags).toEqual(['Triage']);
    expect((await client.messages({ tag: 'triage' })).map((m) => m.id)).toEqual([s.id]);
    expect((await client.setTags(s.id, ['done']))?.tags).toEqual(['done']);
    expect(sandbox.messages({ tag: 'triage' })).toEqual([]);
    expect(await client.setTags('missing', ['x'])).toBeUndefined();
  });
});
