import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, type SandboxOptions, type WebhookDelivery } from '../../src/index.js';
import { RawSmtpClient } from './smtp-helpers.js';
import { apiJson } from './http-helpers.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local webhook receiver: records each request and answers with what `respond` decides (or never). */
async function receiver(respond: (n: number, res: ServerResponse) => void): Promise<{ server: Server; url: string; requests: Received[]; next(): Promise<Received> }> {
  const requests: Received[] = [];
  const waiting: Array<(r: Received) => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      respond(requests.length, res);
      waiting.shift()?.(r);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  let taken = 0;
  const next = () => new Promise<Received>((resolve) => (taken < requests.length ? resolve(requests[taken++]) : waiting.push((r) => (taken++, resolve(r)))));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, requests, next };
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sandboxWith(webhooks: SandboxOptions['webhooks']): Promise<Sandbox> {
  const sandbox = await createSandbox({ smtps: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, logLevel: 'silent', webhooks });
  cleanups.push(() => sandbox.close());
  return sandbox;
}

/** Resolves with the first delivery state that passes `done`. */
function deliveryWhere(sandbox: Sandbox, done: (d: WebhookDelivery) => boolean): Promise<WebhookDelivery> {
  return new Promise((resolve) => {
    const hit = sandbox.webhookDeliveries().find(done);
    if (hit) return resolve(hit);
    const off = sandbox.webhooks.on('delivery', (d) => {
      if (!done(d)) return;
      off();
      resolve(d);
    });
  });
}

async function smtpSend(sandbox: Sandbox, subject: string): Promise<{ id: string; replyMs: number }> {
  const c = await RawSmtpClient.connect(sandbox.ports.smtp!);
  await c.hello();
  await c.command('MAIL FROM:<app@example.test>');
  await c.command('RCPT TO:<ann@example.test>');
  await c.command('DATA');
  const started = performance.now();
  const reply = await c.command(`Subject: ${subject}\r\n\r\nhello\r\n.`);
  const replyMs = performance.now() - started;
  c.end();
  return { id: /queued as (\S+)/.exec(reply ?? '')![1], replyMs };
}

/**
 * Milliseconds from the end of each message's data to its reply, as Python's smtplib sees them, on one connection to
 * each port; the ports take turns message by message, so both series see the same load on a shared machine.
 */
function timeDataReplies(ports: number[], count: number): Promise<number[][]> {
  const script = `
import smtplib, sys, time, json
conns = [smtplib.SMTP('127.0.0.1', int(p)) for p in sys.argv[2:]]
out = [[] for _ in conns]
for s in conns: s.ehlo('timer.test')
for i in range(int(sys.argv[1])):
    for k, s in enumerate(conns):
        s.mail('app@example.test'); s.rcpt('ann@example.test')
        code, _ = s.docmd('DATA')
        assert code == 354
        s.send(b'Subject: timed %d\\r\\n\\r\\nhello\\r\\n.\\r\\n' % i)
        t = time.perf_counter()
        code, _ = s.getreply()
        out[k].append((time.perf_counter() - t) * 1000)
        assert code == 250, code
for s in conns: s.quit()
print(json.dumps(out))
`;
  return new Promise((resolve, reject) =>
    execFile('python3', ['-c', script, String(count), ...ports.map(String)], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as number[][]))),
  );
}

describe('webhooks', () => {
  it('POSTs { type, data } JSON with the message summary and a verifiable HMAC-SHA256 signature', async () => {
    const hook = await receiver((_n, res) => res.writeHead(204).end());
    cleanups.push(() => hook.server.close());
    const sandbox = await sandboxWith({ urls: [hook.url], secret: 'team-secret' });
    const { id } = await smtpSend(sandbox, 'signed hook');
    const got = await hook.next();
    const body = JSON.parse(got.body);
    expect(body.type).toBe('message.added');
    expect(body.data).toMatchObject({ id, subject: 'signed hook', source: 'smtp', mailboxes: ['ann@example.test'], tags: [] });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-mailsandbox-event']).toBe('message.added');
    const expected = `sha256=${createHmac('sha256', 'team-secret').update(got.body).digest('hex')}`;
    expect(got.headers['x-mailsandbox-signature']).toBe(expected);
    // A tampered body would not verify.
    expect(createHmac('sha256', 'team-secret').update(got.body.replace('signed', 'forged')).digest('hex')).not.toBe(expected.slice(7));

    const done = await deliveryWhere(sandbox, (d) => d.result === 'success');
    expect(done).toMatchObject({ url: hook.url, event: 'message.added', status: 204, attempts: 1, result: 'success' });
    const listed = await apiJson(sandbox, '/api/v1/webhooks');
    expect(listed.body.deliveries[0]).toMatchObject({ url: hook.url, event: 'message.added', status: 204, attempts: 1, durationMs: expect.any(Number), at: expect.any(String) });
    expect(listed.body).toMatchObject({ urls: [hook.url], events: ['message.added', 'message.deleted'], signed: true });

    sandbox.store.deleteMessage(id);
    const deleted = JSON.parse((await hook.next()).body);
    expect(deleted).toMatchObject({ type: 'message.deleted', data: { id } });
  });

  it('retries a receiver that answers 500 after the configured backoff, then records the success', async () => {
    const hook = await receiver((n, res) => res.writeHead(n <= 2 ? 500 : 200).end('x'));
    cleanups.push(() => hook.server.close());
    const sandbox = await sandboxWith({ urls: [hook.url], retryDelaysMs: [20, 40, 80, 160] });
    await sandbox.send({ from: 'a@example.test', to: 'b@example.test', subject: 'retry me', text: 'x' });
    const done = await deliveryWhere(sandbox, (d) => d.result !== 'pending');
    expect(done).toMatchObject({ result: 'success', attempts: 3, status: 200 });
    expect(hook.requests.map((r) => r.headers['x-mailsandbox-delivery'])).toEqual(Array(3).fill(done.id));
    expect(hook.requests.every((r) => r.body === hook.requests[0].body)).toBe(true);
    const metrics = await (await fetch(`${sandbox.url}/metrics`)).text();
    expect(metrics).toMatch(/^mailsandbox_webhook_deliveries_total\{result="retry"\} 2$/m);
    expect(metrics).toMatch(/^mailsandbox_webhook_deliveries_total\{result="success"\} 1$/m);
  });

  it('sends each step of a delivery (queued, retried, delivered) on the WebSocket feed as webhook.delivery', async () => {
    const hook = await receiver((n, res) => res.writeHead(n === 1 ? 500 : 200).end('x'));
    cleanups.push(() => hook.server.close());
    const sandbox = await sandboxWith({ urls: [hook.url], retryDelaysMs: [20] });
    const ws = new WebSocket(`ws://127.0.0.1:${sandbox.ports.http}/api/v1/events`);
    cleanups.push(() => ws.terminate());
    const frames: Array<{ type: string; data: WebhookDelivery }> = [];
    const delivered = new Promise<void>((resolve) =>
      ws.on('message', (raw: Buffer) => {
        const frame = JSON.parse(raw.toString()) as { type: string; data: WebhookDelivery };
        if (frame.type !== 'webhook.delivery') return;
        frames.push(frame);
        if (frame.data.result !== 'pending') resolve();
      }),
    );
    await once(ws, 'open');
    await sandbox.send({ from: 'a@example.test', to: 'b@example.test', subject: 'feed me', text: 'x' });
    await delivered;
    expect(frames.map((f) => [f.data.result, f.data.attempts, f.data.status])).toEqual([
      ['pending', 0, null],
      ['pending', 1, 500],
      ['success', 2, 200],
    ]);
    expect(new Set(frames.map((f) => f.data.id)).size).toBe(1);
    // The frames carry what GET /api/v1/webhooks lists.
    expect(sandbox.webhookDeliveries()[0]).toEqual(frames[2].data);
  });

  it('gives up after the last retry and records the failure with its reason', async () => {
    const hook = await receiver((_n, res) => res.writeHead(503).end());
    cleanups.push(() => hook.server.close());
    const sandbox = await sandboxWith({ urls: [hook.url], retryDelaysMs: [5, 5] });
    await sandbox.send({ from: 'a@example.test', to: 'b@example.test', subject: 'never ok', text: 'x' });
    const done = await deliveryWhere(sandbox, (d) => d.result !== 'pending');
    expect(done).toMatchObject({ result: 'failure', attempts: 3, status: 503, error: 'HTTP 503' });
  });

  it('never delays the SMTP 250 while the receiver hangs: deliveries are queued, not awaited', async () => {
    const hanging: ServerResponse[] = [];
    const hook = await receiver((_n, res) => void hanging.push(res));
    cleanups.push(() => {
      for (const r of hanging) r.destroy();
      hook.server.close();
    });
    const sandbox = await sandboxWith({ urls: [hook.url], events: ['message.added'], timeoutMs: 60_000 });
    const warm = await smtpSend(sandbox, 'warm-up');
    await hook.next(); // the receiver now holds a request open and never answers
    // The client is another process (Python's smtplib), so its clock sees when the 250 leaves, not when this
    // process's event loop gets round to reading it. A sandbox without webhooks, sent to in turns, is the baseline.
    const plain = await sandboxWith(undefined);
    const [times, baseline] = await timeDataReplies([sandbox.ports.smtp!, plain.ports.smtp!], 30);
    // Every message got its 250 while every webhook call is still unanswered.
    expect(sandbox.store.size).toBe(31);
    const pending = sandbox.webhookDeliveries().filter((d) => d.result === 'pending');
    expect(pending.length).toBe(31);
    expect(sandbox.webhooks.pending).toBe(31);
    expect(sandbox.store.get(warm.id)).toBeDefined();
    const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * q) - 1];
    const p99 = pct(times, 0.99);
    console.log(
      `250 after DATA while the webhook receiver hangs: median ${pct(times, 0.5).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms; ` +
        `without webhooks: median ${pct(baseline, 0.5).toFixed(2)} ms, p99 ${pct(baseline, 0.99).toFixed(2)} ms (${times.length} messages each)`,
    );
    // Generous bound for a loaded shared machine; the figure above is what to read.
    expect(p99).toBeLessThan(250);
  });

  it('sends only the events listed in webhook events', async () => {
    const hook = await receiver((_n, res) => res.writeHead(200).end());
    cleanups.push(() => hook.server.close());
    const sandbox = await sandboxWith({ urls: [hook.url], events: ['message.updated'] });
    const s = await sandbox.send({ from: 'a@example.test', to: 'b@example.test', subject: 'only updates', text: 'x' });
    sandbox.setTags(s.id, ['reviewed']);
    const got = JSON.parse((await hook.next()).body);
    expect(got).toMatchObject({ type: 'message.updated', data: { id: s.id, tags: ['reviewed'] } });
    await deliveryWhere(sandbox, (d) => d.result === 'success');
    expect(hook.requests).toHaveLength(1);
  });
});
