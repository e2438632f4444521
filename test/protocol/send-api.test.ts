import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MailSandboxHttpError, SendValidationError, type Sandbox } from '../../src/index.js';
import { apiJson, httpSandbox } from './http-helpers.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await httpSandbox();
});
afterAll(() => sandbox.close());

/** Python's own `email` package reads the stored bytes: an independent check of the MIME we built. */
const pythonReader = `
import email, email.policy, json, sys
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
parts = []
for p in msg.walk():
    payload = None if p.is_multipart() else p.get_payload(decode=True)
    parts.append({'type': p.get_content_type(), 'filename': p.get_filename(),
                  'disposition': p.get_content_disposition(),
                  'text': payload.decode('utf-8', 'replace') if payload is not None and p.get_content_maintype() == 'text' else None,
                  'hex': payload.hex() if payload is not None else None})
print(json.dumps({'from': str(msg['from']), 'to': str(msg['to']), 'cc': str(msg['cc']), 'bcc': msg['bcc'],
                  'replyTo': str(msg['reply-to']), 'subject': str(msg['subject']), 'xTicket': msg['x-ticket'],
                  'messageId': msg['message-id'], 'date': msg['date'], 'parts': parts, 'defects': [str(d) for d in msg.defects]}))
`;

/** Asynchronous, so the sandbox in this process keeps serving (a blocked event loop resets keep-alive connections). */
function readWithPython(raw: Buffer): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', pythonReader], { encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))));
    child.stdin!.end(raw);
  });
}

const pdfBytes = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\nbinary \x00\x01\x02 bytes\n', 'latin1');
const pngBytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0xff, 0xfe]);

describe('POST /api/v1/send', () => {
  it('stores a multipart/alternative message with base64 attachments that Python reads back field by field', async () => {
    const { status, body, res } = await apiJson(sandbox, '/api/v1/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        from: 'App <app@example.test>',
        to: ['ann@example.test', { name: 'Bob Ray', address: 'bob@example.test' }],
        cc: 'carol@example.test',
        bcc: ['dave@example.test'],
        replyTo: 'support@example.test',
        subject: 'Your invoice – März',
        text: 'Hello Ann, the invoice is attached.',
        html: '<p>Hello <b>Ann</b>, the invoice is attached.</p>',
        headers: { 'X-Ticket': 'QA-42' },
        attachments: [
          { filename: 'invoice.pdf', contentType: 'application/pdf', content: pdfBytes.toString('base64') },
          { filename: 'logo.png', contentType: 'image/png', content: pngBytes.toString('base64') },
        ],
      }),
    });
    expect(status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/messages/${body.id}`);
    expect(body).toMatchObject({ source: 'api', subject: 'Your invoice – März', hasAttachments: true, from: { address: 'app@example.test' } });
    expect(body.mailboxes.sort()).toEqual(['ann@example.test', 'bob@example.test', 'carol@example.test', 'dave@example.test']);

    const stored = sandbox.store.get(body.id)!;
    expect(stored.envelope).toEqual({ mailFrom: 'app@example.test', rcptTo: ['ann@example.test', 'bob@example.test', 'carol@example.test', 'dave@example.test'] });
    const py = await readWithPython(stored.raw);
    expect(py.defects).toEqual([]);
    expect(py.from).toBe('App <app@example.test>');
    expect(py.to).toBe('ann@example.test, Bob Ray <bob@example.test>');
    expect(py.cc).toBe('carol@example.test');
    expect(py.bcc).toBeNull(); // Bcc recipients get the mail; no header names them
    expect(py.replyTo).toBe('support@example.test');
    expect(py.subject).toBe('Your invoice – März');
    expect(py.xTicket).toBe('QA-42');
    expect(py.messageId).toMatch(/^<.+@.+>$/);
    expect(py.date).toBeTruthy();
    expect(py.parts.map((p: any) => p.type)).toEqual(['multipart/mixed', 'multipart/alternative', 'text/plain', 'text/html', 'application/pdf', 'image/png']);
    expect(py.parts[2].text.trim()).toBe('Hello Ann, the invoice is attached.');
    expect(py.parts[3].text).toContain('<b>Ann</b>');
    expect(py.parts[4]).toMatchObject({ filename: 'invoice.pdf', disposition: 'attachment', hex: pdfBytes.toString('hex') });
    expect(py.parts[5]).toMatchObject({ filename: 'logo.png', hex: pngBytes.toString('hex') });
    // Stored with CRLF line endings, like everything the sandbox serves.
    expect(stored.raw.toString('latin1').replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('builds a single text/plain part when only text is given, and takes a plain address for "to"', async () => {
    const { status, body } = await apiJson(sandbox, '/api/v1/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'app@example.test', to: 'erin@example.test', subject: 'Plain', text: 'Just text' }),
    });
    expect(status).toBe(201);
    const py = await readWithPython(sandbox.store.get(body.id)!.raw);
    expect(py.parts.map((p: any) => p.type)).toEqual(['text/plain']);
    expect(py.parts[0].text.trim()).toBe('Just text');
  });

  it.each([
    [{ to: 'ann@example.test', subject: 'x' }, 'from'],
    [{ from: 'app@example.test', subject: 'x' }, 'to'],
    [{ from: 'app@example.test', to: ['ann@example.test', 'not an address'] }, 'to[1]'],
    [{ from: 'app@example.test', to: 'ann@example.test', cc: 42 }, 'cc'],
    [{ from: 'app@example.test', to: 'ann@example.test', subject: 7 }, 'subject'],
    [{ from: 'app@example.test', to: 'ann@example.test', headers: { 'X-Evil': 'a\r\nBcc: victim@example.test' } }, 'headers.X-Evil'],
    [{ from: 'app@example.test', to: 'ann@example.test', attachments: [{ filename: 'a.bin', content: 'not base64!' }] }, 'attachments[0].content'],
    [{ from: 'app@example.test', to: 'ann@example.test', attachments: [{ content: 'AAAA' }] }, 'attachments[0].filename'],
    [{ from: 'app@example.test', to: 'ann@example.test', attachments: [{ filename: 'x', content: 'AAAA', path: '/etc/passwd' }] }, 'attachments[0].path'],
    [{ from: 'app@example.test', to: 'ann@example.test', bogus: true }, 'bogus'],
  ])('answers 400 naming the field for %j', async (request, field) => {
    const before = sandbox.store.size;
    const { status, body } = await apiJson(sandbox, '/api/v1/send', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
    expect(status).toBe(400);
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message.startsWith(`${field}:`)).toBe(true);
    expect(body.field).toBe(field);
    expect(sandbox.store.size).toBe(before);
  });

  it('refuses a body that is not JSON with 415 and malformed JSON with 400', async () => {
    expect((await apiJson(sandbox, '/api/v1/send', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' })).status).toBe(415);
    const bad = await apiJson(sandbox, '/api/v1/send', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"from":' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_json');
  });

  it('answers 413 when the built message exceeds the message size limit', async () => {
    const small = await httpSandbox({ maxMessageSize: 4096 });
    try {
      const big = Buffer.alloc(8000, 7).toString('base64');
      const { status, body } = await apiJson(small, '/api/v1/send', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: 'a@example.test', to: 'b@example.test', attachments: [{ filename: 'big.bin', content: big }] }),
      });
      expect(status).toBe(413);
      expect(body.error.code).toBe('too_large');
      expect(small.store.size).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe('send() in the library and the client', () => {
  it('stores the same kind of message from sandbox.send() and resolves with its summary', async () => {
    const summary = await sandbox.send({ from: 'app@example.test', to: 'fay+welcome@example.test', subject: 'Welcome', text: 'Hi', html: '<p>Hi</p>', tags: ['Onboarding'] });
    expect(summary).toMatchObject({ source: 'api', subject: 'Welcome', tags: ['welcome', 'Onboarding'] });
    const msg = await sandbox.getMessage(summary.id);
    expect(msg?.text?.trim()).toBe('Hi');
    expect(msg?.html).toContain('<p>Hi</p>');
  });

  it('rejects a bad field from sandbox.send() with a SendValidationError naming it', async () => {
    const err = await sandbox.send({ from: 'app@example.test', to: 'nobody' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendValidationError);
    expect((err as SendValidationError).field).toBe('to');
  });

  it('sends through createClient(url).send() and reports a 400 with the field in the body', async () => {
    const client = createClient(sandbox.url!);
    const summary = await client.send({ from: 'app@example.test', to: ['gus@example.test'], subject: 'Via client', text: 'x' });
    expect(summary.subject).toBe('Via client');
    expect(sandbox.store.get(summary.id)?.source).toBe('api');
    const err = (await client.send({ from: 'app@example.test', to: 'gus@example.test', attachments: [{ filename: 'a', content: '***' }] }).catch((e: unknown) => e)) as MailSandboxHttpError;
    expect(err).toBeInstanceOf(MailSandboxHttpError);
    expect(err.status).toBe(400);
    expect((err.body as { field: string }).field).toBe('attachments[0].content');
  });
});
