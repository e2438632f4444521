import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { api, apiJson, compose, httpSandbox, inject, simpleEml } from './http-helpers.js';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await httpSandbox();
});
afterEach(async () => {
  await sandbox.close();
});

async function seed(fields: Parameters<typeof simpleEml>[0] = {}, query = '') {
  const res = await inject(sandbox, simpleEml(fields), query);
  expect(res.status).toBe(201);
  return (await res.json() as any) as { id: string };
}

describe('GET /api/v1/messages', () => {
  it('lists summaries newest first with the total', async () => {
    await seed({ subject: 'first' });
    await seed({ subject: 'second' });
    const { status, body } = await apiJson(sandbox, '/api/v1/messages');
    expect(status).toBe(200);
    expect(body.total).toBe(2);
    expect(body.messages.map((m: { subject: string }) => m.subject)).toEqual(['second', 'first']);
    expect(Object.keys(body.messages[0]).sort()).toEqual(
      ['cc', 'date', 'envelopeFrom', 'from', 'hasAttachments', 'id', 'mailboxes', 'messageId', 'receivedAt', 'relays', 'seen', 'size', 'source', 'subject', 'tags', 'to'].sort(),
    );
    expect(body.messages[0]).toMatchObject({ from: { name: 'Alice', address: 'alice@example.test' }, to: [{ address: 'bob@example.test' }], seen: false, mailboxes: ['bob@example.test'], source: 'api' });
  });

  it('pages with limit and offset while total counts every match', async () => {
    for (let i = 0; i < 5; i++) await seed({ subject: `n${i}` });
    const { body } = await apiJson(sandbox, '/api/v1/messages?limit=2&offset=1');
    expect(body.total).toBe(5);
    expect(body.messages.map((m: { subject: string }) => m.subject)).toEqual(['n3', 'n2']);
  });

  it('filters with the query language and the mailbox parameter', async () => {
    await seed({ to: 'ann@example.test', subject: 'Reset your password' });
    await seed({ to: 'bob@example.test', subject: 'Welcome' });
    const q = await apiJson(sandbox, `/api/v1/messages?query=${encodeURIComponent('subject:reset')}`);
    expect(q.body.messages.map((m: { subject: string }) => m.subject)).toEqual(['Reset your password']);
    const mb = await apiJson(sandbox, '/api/v1/messages?mailbox=BOB@example.test');
    expect(mb.body.messages.map((m: { subject: string }) => m.subject)).toEqual(['Welcome']);
  });

  it.each([['limit=1001'], ['limit=-1'], ['limit=abc'], ['offset=x'], ['limit=1&limit=2']])('answers 400 JSON for %s', async (qs) => {
    const { status, body } = await apiJson(sandbox, `/api/v1/messages?${qs}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('bad_request');
    expect(typeof body.error.message).toBe('string');
  });
});

describe('GET /api/v1/messages/:id', () => {
  it('gives the full parsed message with attachments, links and codes', async () => {
    const raw = await compose({
      to: 'Ann <ann@example.test>',
      cc: 'carl@example.test',
      subject: 'Your verification code',
      text: 'Your verification code is 482913.\nOr open https://app.example.test/verify?t=abc',
      html: '<p>Code <b>482913</b></p><a href="https://app.example.test/verify?t=abc&amp;x=1">Verify</a>',
      attachments: [{ filename: 'report.pdf', content: Buffer.from('%PDF-1.4 fake'), contentType: 'application/pdf' }],
    });
    const res = await inject(sandbox, raw);
    const { id } = await res.json() as any;
    const { status, body } = await apiJson(sandbox, `/api/v1/messages/${id}`);
    expect(status).toBe(200);
    expect(body.subject).toBe('Your verification code');
    expect(body.text).toContain('482913');
    expect(body.html).toContain('<b>482913</b>');
    expect(body.codes).toEqual(['482913']);
    expect(body.links).toEqual(['https://app.example.test/verify?t=abc&x=1', 'https://app.example.test/verify?t=abc']);
    expect(body.attachments).toEqual([{ index: 0, filename: 'report.pdf', contentType: 'application/pdf', size: 13, contentId: null, disposition: 'attachment' }]);
    expect(body.hasAttachments).toBe(true);
    expect(body.envelope.rcptTo).toEqual(['ann@example.test', 'carl@example.test']);
    expect(body.headers.find((h: { name: string }) => h.name === 'Subject').value).toBe('Your verification code');
    expect(body.flags).toEqual([]);
    expect(body).not.toHaveProperty('raw');
  });

  it('answers 404 JSON for an unknown id', async () => {
    const { status, body } = await apiJson(sandbox, '/api/v1/messages/nope');
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });
});

describe('GET /api/v1/messages/:id/raw', () => {
  it('serves the exact bytes as a message/rfc822 download', async () => {
    const raw = Buffer.concat([simpleEml({ subject: 'bytes' }), Buffer.from([0xe9, 0x00, 0xff, 0x0d, 0x0a])]);
    const { id } = await (await inject(sandbox, raw)).json() as any;
    const res = await api(sandbox, `/api/v1/messages/${id}/raw`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('message/rfc822');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}.eml"`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(raw)).toBe(true);
  });
});

describe('GET /api/v1/messages/:id/html', () => {
  it('serves the HTML body with a sandboxing CSP and nosniff', async () => {
    const { id } = await (await inject(sandbox, await compose({ to: 'a@example.test', subject: 'h', html: '<p>Hi<script>alert(1)</script></p>' }))).json() as any;
    const res = await api(sandbox, `/api/v1/messages/${id}/html`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/^sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'/);
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('allow-scripts');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(await res.text()).toContain('<p>Hi');
  });

  it('allows remote images only with remote=1', async () => {
    const { id } = await (await inject(sandbox, await compose({ to: 'a@example.test', subject: 'h', html: '<img src="https://t.example/p.gif">' }))).json() as any;
    const csp = (await api(sandbox, `/api/v1/messages/${id}/html?remote=1`)).headers.get('content-security-policy');
    expect(csp).toContain('img-src data: cid: https: http:');
  });

  it('answers 404 when the message has no HTML body', async () => {
    const { id } = await seed();
    const { status, body } = await apiJson(sandbox, `/api/v1/messages/${id}/html`);
    expect(status).toBe(404);
    expect(body.error.code).toBe('no_html');
  });
});

describe('GET /api/v1/messages/:id/attachments/:n', () => {
  it('serves the content as a download with a generated file name', async () => {
    const raw = await compose({
      to: 'a@example.test',
      subject: 'files',
      text: 'see attached',
      attachments: [
        { filename: 'notes.txt', content: 'plain notes', contentType: 'text/plain' },
        { filename: '../../etc/pass"wd\r\n.html', content: '<script>alert(1)</script>', contentType: 'text/html' },
      ],
    });
    const { id } = await (await inject(sandbox, raw)).json() as any;
    const first = await api(sandbox, `/api/v1/messages/${id}/attachments/0`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(first.headers.get('content-disposition')).toBe(`attachment; filename="${id}-0.txt"; filename*=UTF-8''notes.txt`);
    expect(await first.text()).toBe('plain notes');
    const hostile = await api(sandbox, `/api/v1/messages/${id}/attachments/1`);
    const disposition = hostile.headers.get('content-disposition') ?? '';
    expect(disposition.startsWith(`attachment; filename="${id}-1.html"`)).toBe(true);
    expect(disposition).not.toMatch(/\.\.|\/|\\|"wd/);
    expect(hostile.headers.get('x-content-type-options')).toBe('nosniff');
    await hostile.arrayBuffer();
  });

  it('answers 404 past the last attachment and 400 for a non-number', async () => {
    const { id } = await seed();
    expect((await apiJson(sandbox, `/api/v1/messages/${id}/attachments/0`)).status).toBe(404);
    expect((await apiJson(sandbox, `/api/v1/messages/${id}/attachments/x`)).status).toBe(400);
  });
});

describe('GET /api/v1/messages/:id/transcript', () => {
  it('answers the decoded transcript (empty for injected mail)', async () => {
    const { id } = await seed();
    const { status, body } = await apiJson(sandbox, `/api/v1/messages/${id}/transcript`);
    expect(status).toBe(200);
    expect(body).toEqual({ id, sessionId: null, lines: [] });
  });

  it('decodes a stored transcript into timed lines', async () => {
    const m = sandbox.store.deliver({ raw: simpleEml(), envelope: { mailFrom: 'a@x.test', rcptTo: ['b@x.test'] }, source: 'smtp', transcript: '1700000000000\tC\tEHLO me\n1700000000001\tS\t250 ok' });
    const { body } = await apiJson(sandbox, `/api/v1/messages/${m.id}/transcript`);
    expect(body.lines).toEqual([
      { at: 1700000000000, dir: 'C', line: 'EHLO me' },
      { at: 1700000000001, dir: 'S', line: '250 ok' },
    ]);
  });
});

describe('GET /api/v1/messages/:id/structure', () => {
  it('answers the MIME tree with part paths, types and file names', async () => {
    const raw = await compose({ to: 'a@example.test', subject: 's', text: 'hi', html: '<p>hi</p>', attachments: [{ filename: 'a.txt', content: 'abc' }] });
    const { id } = await (await inject(sandbox, raw)).json() as any;
    const { status, body } = await apiJson(sandbox, `/api/v1/messages/${id}/structure`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ path: '', contentType: 'multipart/mixed' });
    expect(body.children.map((c: { path: string; contentType: string }) => `${c.path} ${c.contentType}`)).toEqual(['1 multipart/alternative', '2 text/plain']);
    expect(body.children[1]).toMatchObject({ filename: 'a.txt', disposition: 'attachment' });
    expect((await apiJson(sandbox, '/api/v1/messages/none/structure')).status).toBe(404);
  });
});

describe('PATCH /api/v1/messages/:id', () => {
  it('sets and clears \\Seen on every placement', async () => {
    const { id } = await seed({ to: 'a@example.test, b@example.test' });
    const on = await apiJson(sandbox, `/api/v1/messages/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"seen":true}' });
    expect(on.status).toBe(200);
    expect(on.body.seen).toBe(true);
    const m = sandbox.store.get(id)!;
    expect(sandbox.store.placementsOf(m).every((p) => p.flags.has('\\Seen'))).toBe(true);
    const off = await apiJson(sandbox, `/api/v1/messages/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"seen":false}' });
    expect(off.body.seen).toBe(false);
    expect(sandbox.store.isSeen(m)).toBe(false);
  });

  it.each([
    ['{"seen":"yes"}', 'application/json', 400],
    ['{bad json', 'application/json', 400],
    ['seen=true', 'application/x-www-form-urlencoded', 415],
  ])('refuses body %s (%s) with %i', async (body, type, status) => {
    const { id } = await seed();
    const res = await apiJson(sandbox, `/api/v1/messages/${id}`, { method: 'PATCH', headers: { 'content-type': type }, body });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBeTruthy();
  });

  it('answers 413 for a JSON body over the limit', async () => {
    await sandbox.close();
    sandbox = await httpSandbox({ limits: { httpJsonBody: 100 } });
    const { id } = await seed();
    const res = await apiJson(sandbox, `/api/v1/messages/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seen: true, pad: 'x'.repeat(200) }) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('too_large');
  });
});

describe('DELETE /api/v1/messages', () => {
  it('deletes one message and answers 404 the second time', async () => {
    const { id } = await seed();
    expect((await api(sandbox, `/api/v1/messages/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(sandbox.store.get(id)).toBeUndefined();
    expect((await apiJson(sandbox, `/api/v1/messages/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('deletes only the matching messages when given a query', async () => {
    await seed({ subject: 'keep me' });
    await seed({ subject: 'drop me' });
    await seed({ subject: 'drop me too', to: 'x@example.test' });
    const { body } = await apiJson(sandbox, `/api/v1/messages?query=${encodeURIComponent('subject:drop')}&mailbox=bob@example.test`, { method: 'DELETE' });
    expect(body).toEqual({ deleted: 1 });
    expect(sandbox.messages().map((m) => m.subject).sort()).toEqual(['drop me too', 'keep me']);
  });

  it('deletes everything without a filter', async () => {
    await seed();
    await seed();
    const { body } = await apiJson(sandbox, '/api/v1/messages', { method: 'DELETE' });
    expect(body).toEqual({ deleted: 2 });
    expect(sandbox.store.size).toBe(0);
  });
});

describe('POST /api/v1/messages', () => {
  it('stores into the To/Cc mailboxes by default and answers 201 with a Location', async () => {
    const res = await inject(sandbox, simpleEml({ to: 'Ann <ann@example.test>', cc: 'carl@example.test' }));
    expect(res.status).toBe(201);
    const body = await res.json() as any;
    expect(res.headers.get('location')).toBe(`/api/v1/messages/${body.id}`);
    expect(body.mailboxes.sort()).toEqual(['ann@example.test', 'carl@example.test']);
  });

  it('stores into the given mailboxes, folder and flags', async () => {
    const res = await inject(sandbox, simpleEml(), '?mailbox=x@example.test,y@example.test&folder=Sent&flags=seen,%5CFlagged,$Label1');
    expect(res.status).toBe(201);
    const body = await res.json() as any;
    const placements = sandbox.store.placementsOf(sandbox.store.get(body.id)!);
    expect(placements.map((p) => `${p.mailbox}/${p.folder.name}`).sort()).toEqual(['x@example.test/Sent', 'y@example.test/Sent']);
    expect([...placements[0].flags].sort()).toEqual(['$Label1', '\\Flagged', '\\Seen']);
    expect(body.seen).toBe(true);
  });

  it('turns bare LF line endings into CRLF', async () => {
    const res = await inject(sandbox, 'From: a@example.test\nTo: b@example.test\nSubject: lf\n\nbody\n');
    const { id } = await res.json() as any;
    expect(sandbox.store.get(id)!.raw.toString()).toBe('From: a@example.test\r\nTo: b@example.test\r\nSubject: lf\r\n\r\nbody\r\n');
  });

  it('answers 404 for a folder that does not exist, without creating the mailbox', async () => {
    const res = await inject(sandbox, simpleEml(), '?mailbox=new@example.test&folder=Nope');
    expect(res.status).toBe(404);
    expect((await res.json() as any).error.code).toBe('no_such_folder');
    expect(sandbox.store.getMailbox('new@example.test')).toBeUndefined();
  });

  it('answers 415 for another content type and 400 with no recipients', async () => {
    const wrongType = await inject(sandbox, simpleEml(), '', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect((await wrongType.json() as any).error.code).toBe('unsupported_media_type');
    const noTo = await inject(sandbox, 'Subject: nobody\r\n\r\nhi\r\n');
    expect(noTo.status).toBe(400);
    await noTo.arrayBuffer();
    const badFlag = await inject(sandbox, simpleEml(), '?flags=%28bad');
    expect(badFlag.status).toBe(400);
    await badFlag.arrayBuffer();
  });

  it('answers 413 past the maximum message size and stores nothing', async () => {
    await sandbox.close();
    sandbox = await httpSandbox({ maxMessageSize: 2048 });
    const res = await inject(sandbox, simpleEml({ body: 'x'.repeat(3000) }));
    expect(res.status).toBe(413);
    expect((await res.json() as any).error.code).toBe('too_large');
    expect(sandbox.store.size).toBe(0);
  });
});

describe('sessions, mailboxes, info and health', () => {
  it('lists sessions newest first, filters by protocol and shows one with its lines', async () => {
    const a = sandbox.context.sessions.start('smtp', { remoteAddress: '127.0.0.1', localPort: 25, tls: false });
    a.line('C', 'EHLO client');
    a.line('S', '250 hello');
    a.end();
    sandbox.context.sessions.start('imap', { tls: true });
    const all = await apiJson(sandbox, '/api/v1/sessions');
    expect(all.body.sessions.map((s: { protocol: string }) => s.protocol)).toEqual(['imap', 'smtp']);
    const smtp = await apiJson(sandbox, '/api/v1/sessions?protocol=smtp');
    expect(smtp.body.sessions).toHaveLength(1);
    expect(smtp.body.sessions[0]).toMatchObject({ id: a.id, lineCount: 2, remoteAddress: '127.0.0.1', tls: false });
    expect(smtp.body.sessions[0].endedAt).toEqual(expect.any(String));
    const one = await apiJson(sandbox, `/api/v1/sessions/${a.id}`);
    expect(one.body.lines.map((l: { dir: string; line: string }) => `${l.dir} ${l.line}`)).toEqual(['C EHLO client', 'S 250 hello']);
    expect((await apiJson(sandbox, '/api/v1/sessions?protocol=ftp')).status).toBe(400);
    expect((await apiJson(sandbox, '/api/v1/sessions/none')).status).toBe(404);
  });

  it('lists mailboxes with folder counts and deletes one', async () => {
    await seed({ to: 'ann@example.test' });
    await seed({ to: 'ann@example.test' }, '?mailbox=ann@example.test&flags=seen');
    const { body } = await apiJson(sandbox, '/api/v1/mailboxes');
    expect(body.mailboxes).toHaveLength(1);
    const ann = body.mailboxes[0];
    expect(ann).toMatchObject({ address: 'ann@example.test', messages: 2, unseen: 1 });
    const inbox = ann.folders.find((f: { name: string }) => f.name === 'INBOX');
    expect(inbox).toMatchObject({ name: 'INBOX', specialUse: null, messages: 2, unseen: 1, uidNext: 3 });
    expect(inbox.uidValidity).toEqual(expect.any(Number));
    expect(ann.folders.find((f: { name: string }) => f.name === 'Sent').specialUse).toBe('\\Sent');
    expect((await api(sandbox, '/api/v1/mailboxes/ANN@example.test', { method: 'DELETE' })).status).toBe(204);
    expect(sandbox.store.size).toBe(0);
    expect((await apiJson(sandbox, '/api/v1/mailboxes/ann@example.test', { method: 'DELETE' })).status).toBe(404);
  });

  it('answers info and healthz', async () => {
    await seed();
    const info = await apiJson(sandbox, '/api/v1/info');
    expect(info.body).toMatchObject({ name: 'mailsandbox', counts: { messages: 1 } });
    expect(info.body.listeners).toEqual([expect.objectContaining({ name: 'http', port: sandbox.ports.http })]);
    expect(info.body).toMatchObject({ starttls: 'off', tlsFingerprint256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) });
    const health = await apiJson(sandbox, '/healthz');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers 405 with Allow for a wrong method and 404 JSON for an unknown API path', async () => {
    const wrong = await apiJson(sandbox, '/api/v1/info', { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.res.headers.get('allow')).toBe('GET, HEAD');
    expect(wrong.body.error.code).toBe('method_not_allowed');
    const unknown = await apiJson(sandbox, '/api/v1/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });
});

describe('attachmentDisposition', () => {
  it.each<[string | null, string]>([
    [null, 'attachment; filename="m-0"'],
    ['report.pdf', `attachment; filename="m-0.pdf"; filename*=UTF-8''report.pdf`],
    ['C:\\Users\\x\\..\\evil.EXE', `attachment; filename="m-0.exe"; filename*=UTF-8''evil.EXE`],
    ['../../etc/passwd', `attachment; filename="m-0"; filename*=UTF-8''passwd`],
    ['über "quoted".txt', `attachment; filename="m-0.txt"; filename*=UTF-8''%C3%BCber%20quoted.txt`],
    ['bad\ud800surrogate.txt', `attachment; filename="m-0.txt"; filename*=UTF-8''badsurrogate.txt`],
    ['...', 'attachment; filename="m-0"'],
  ])('sanitises %j', async (name, expected) => {
    const { attachmentDisposition } = await import('../../src/http/handlers/messages.js');
    expect(attachmentDisposition('m-0', name)).toBe(expected);
  });

  it.each<[string | null, string, string]>([
    [null, 'image/png', 'attachment; filename="m-0.png"'],
    [null, 'IMAGE/JPEG; name=x', 'attachment; filename="m-0.jpg"'],
    [null, 'application/x-unknown', 'attachment; filename="m-0"'],
    ['logo', 'image/gif', `attachment; filename="m-0.gif"; filename*=UTF-8''logo`],
    ['report.pdf', 'image/png', `attachment; filename="m-0.pdf"; filename*=UTF-8''report.pdf`],
  ])('gives a part named %j of type %s an extension from its type when its name has none', async (name, type, expected) => {
    const { attachmentDisposition } = await import('../../src/http/handlers/messages.js');
    expect(attachmentDisposition('m-0', name, type)).toBe(expected);
  });
});
