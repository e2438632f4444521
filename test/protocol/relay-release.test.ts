import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createSandbox, RelayError, type Sandbox, type SandboxOptions } from '../../src/index.js';
import { apiJson } from './http-helpers.js';

/*
 * A second sandbox, started here, is the "real" relay: it shows what arrived, byte for byte, with the envelope and
 * the connection facts (TLS, AUTH user).
 */
const quiet = { pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, logLevel: 'silent' } as const;

/** The relay target. STARTTLS on its plain port is set explicitly where that option exists (it became opt-in). */
function startTarget(options: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox({ ...quiet, http: { port: false }, ...({ starttls: 'on' } as object), ...options });
}

function startSource(relay: SandboxOptions['relay']): Promise<Sandbox> {
  return createSandbox({ ...quiet, smtps: { port: false }, relay });
}

/** A message with the corner cases a relay could mangle: dot-lines, 8-bit text, a long line, trailing spaces. */
async function sendTricky(source: Sandbox, to: string | string[], subject: string) {
  const wait = source.waitForMessage({ subject });
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: source.ports.smtp!, ignoreTLS: true });
  await transport.sendMail({
    envelope: { from: 'bounce+123@app.example.test', to },
    from: 'App <app@example.test>',
    to,
    subject,
    text: `.leading dot\r\n..two dots\r\n.\r\nGrüße aus Köln   \r\n${'x'.repeat(990)}\r\nend`,
    textEncoding: '8bit' as never,
  });
  return wait;
}

const release = (source: Sandbox, id: string, body?: unknown) =>
  apiJson(source, `/api/v1/messages/${id}/release`, body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

let target: Sandbox;
let authTarget: Sandbox;
beforeAll(async () => {
  target = await startTarget();
  authTarget = await startTarget({ smtpAuth: 'required', users: { 'relay@example.test': 's3cret' } });
});
afterAll(async () => {
  await target.close();
  await authTarget.close();
});

describe('releasing a message to a relay', () => {
  it('sends the exact stored bytes over plain SMTP with the original envelope sender and answers the relay reply', async () => {
    const source = await startSource({ url: `smtp://127.0.0.1:${target.ports.smtp}?starttls=never`, allow: ['*@example.test'] });
    try {
      const original = await sendTricky(source, ['ann@example.test', 'bob@example.test'], 'plain release');
      const arrived = target.waitForMessage({ subject: 'plain release' });
      const { status, body } = await release(source, original.id);
      expect(status).toBe(200);
      expect(body.relayedTo).toEqual(['ann@example.test', 'bob@example.test']);
      const copy = await arrived;
      expect(body.reply).toMatch(new RegExp(`^250 .*queued as ${copy.id}`));
      expect(copy.raw.equals(original.raw)).toBe(true);
      expect(copy.envelope).toEqual({ mailFrom: 'bounce+123@app.example.test', rcptTo: ['ann@example.test', 'bob@example.test'] });
      expect(copy.connection.tls).toBe(false);
      // Marked on the source: summary field with where, when and to whom.
      const summary = (await apiJson(source, `/api/v1/messages/${original.id}`)).body;
      expect(summary.relays).toEqual([{ at: expect.any(String), to: ['ann@example.test', 'bob@example.test'], relay: `smtp://127.0.0.1:${target.ports.smtp}`, reply: body.reply, ok: true }]);
    } finally {
      await source.close();
    }
  });

  it('upgrades with STARTTLS and authenticates when the URL says starttls=required and carries credentials', async () => {
    const source = await startSource({
      url: `smtp://relay%40example.test:s3cret@127.0.0.1:${authTarget.ports.smtp}?starttls=required`,
      allow: ['ann@example.test'],
      ca: authTarget.context.tls.cert,
    });
    try {
      const original = await sendTricky(source, 'ann@example.test', 'starttls release');
      const arrived = authTarget.waitForMessage({ subject: 'starttls release' });
      const result = await source.release(original.id);
      const copy = await arrived;
      expect(result.relayedTo).toEqual(['ann@example.test']);
      expect(copy.raw.equals(original.raw)).toBe(true);
      expect(copy.connection).toMatchObject({ tls: true, authUser: 'relay@example.test' });
    } finally {
      await source.close();
    }
  });

  it('speaks implicit TLS to smtps:// relays, trusting a self-signed certificate with verify=false', async () => {
    const source = await startSource({ url: `smtps://127.0.0.1:${target.ports.smtps}?verify=false`, allow: ['*'] });
    try {
      const original = await sendTricky(source, 'cat@example.test', 'smtps release');
      const arrived = target.waitForMessage({ subject: 'smtps release' });
      const result = await createClient(source.url!).release(original.id, { to: ['other@example.test'] });
      const copy = await arrived;
      expect(result.relayedTo).toEqual(['other@example.test']);
      expect(copy.raw.equals(original.raw)).toBe(true);
      expect(copy.envelope.rcptTo).toEqual(['other@example.test']);
      expect(copy.connection.tls).toBe(true);
    } finally {
      await source.close();
    }
  });

  it('refuses a self-signed relay certificate when certificates are verified, and says so', async () => {
    const source = await startSource({ url: `smtps://127.0.0.1:${target.ports.smtps}`, allow: ['*'] });
    try {
      const original = await sendTricky(source, 'cat@example.test', 'unverified release');
      const { status, body } = await release(source, original.id);
      expect(status).toBe(502);
      expect(body.error.code).toBe('relay_failed');
      expect(body.error.message).toMatch(/certificate/i);
    } finally {
      await source.close();
    }
  });

  it('uses --relay-return-path as the envelope sender when given', async () => {
    const source = await startSource({ url: `smtp://127.0.0.1:${target.ports.smtp}?starttls=never`, allow: ['*@example.test'], returnPath: 'qa-bounces@example.test' });
    try {
      const original = await sendTricky(source, 'dan@example.test', 'return path release');
      const arrived = target.waitForMessage({ subject: 'return path release' });
      await source.release(original.id);
      expect((await arrived).envelope.mailFrom).toBe('qa-bounces@example.test');
    } finally {
      await source.close();
    }
  });
});

describe('what is not released', () => {
  it('answers 422 naming every recipient outside the allow-list and sends nothing at all', async () => {
    const source = await startSource({ url: `smtp://127.0.0.1:${target.ports.smtp}?starttls=never`, allow: ['*@example.test'] });
    try {
      const original = await sendTricky(source, ['ann@example.test', 'ceo@real-customer.test'], 'refused release');
      const sessionsBefore = target.context.sessions.list('smtp').length;
      const { status, body } = await release(source, original.id);
      expect(status).toBe(422);
      expect(body.error.code).toBe('recipient_not_allowed');
      expect(body.error.message).toContain('ceo@real-customer.test');
      expect(body.error.message).not.toContain('ann@example.test is');
      const explicit = await release(source, original.id, { to: ['x@elsewhere.test'] });
      expect(explicit.status).toBe(422);
      expect(explicit.body.error.message).toContain('x@elsewhere.test');
      // Nothing was even attempted: no connection reached the relay, and the message is not marked.
      expect(target.context.sessions.list('smtp').length).toBe(sessionsBefore);
      expect(source.store.get(original.id)?.relays).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it('allows nothing when no --relay-allow pattern is given', async () => {
    const source = await startSource({ url: `smtp://127.0.0.1:${target.ports.smtp}?starttls=never` });
    try {
      const original = await sendTricky(source, 'ann@example.test', 'no allow-list');
      const err = await source.release(original.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RelayError);
      expect((err as RelayError).status).toBe(422);
      expect((err as RelayError).message).toMatch(/--relay-allow/);
    } finally {
      await source.close();
    }
  });

  it('answers 409 when no relay is configured, and 404 for an unknown message', async () => {
    const source = await startSource(undefined);
    try {
      const original = await sendTricky(source, 'ann@example.test', 'no relay');
      const { status, body } = await release(source, original.id, { to: ['ann@example.test'] });
      expect(status).toBe(409);
      expect(body.error.message).toMatch(/--relay/);
      expect((await apiJson(source, '/api/v1/relay')).body).toMatchObject({ configured: false });
    } finally {
      await source.close();
    }
    const withRelay = await startSource({ url: `smtp://127.0.0.1:${target.ports.smtp}`, allow: ['*'] });
    try {
      expect((await release(withRelay, 'nope')).status).toBe(404);
      expect((await apiJson(withRelay, '/api/v1/relay')).body).toEqual({ configured: true, relay: `smtp://127.0.0.1:${target.ports.smtp}`, allow: ['*'], auto: null, returnPath: null });
    } finally {
      await withRelay.close();
    }
  });
});

/** A TCP proxy to the target that can be switched off: "down" drops every connection at once. */
async function switchableProxy(port: number): Promise<{ server: Server; port: number; setDown(down: boolean): void }> {
  let isDown = true;
  const server = createServer((client: Socket) => {
    if (isDown) return void client.destroy();
    const upstream = connect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, setDown: (down) => void (isDown = down) };
}

describe('a relay that fails', () => {
  it('reports a relay that is down as a 502 with the reason, keeps the message, and a retry then delivers it', async () => {
    const proxy = await switchableProxy(target.ports.smtp!);
    const source = await startSource({ url: `smtp://127.0.0.1:${proxy.port}?starttls=never`, allow: ['*@example.test'], timeoutMs: 5000 });
    try {
      const original = await sendTricky(source, 'ann@example.test', 'retry release');
      const down = await release(source, original.id);
      expect(down.status).toBe(502);
      expect(down.body.error.code).toBe('relay_failed');
      expect(down.body.error.message).toMatch(/could not be reached|closed/i);
      expect(down.body.error.message).toMatch(/still stored/);
      expect(source.store.get(original.id)?.relays).toMatchObject([{ ok: false }]);

      proxy.setDown(false);
      const arrived = target.waitForMessage({ subject: 'retry release' });
      const retry = await release(source, original.id);
      expect(retry.status).toBe(200);
      expect((await arrived).raw.equals(original.raw)).toBe(true);
      expect(source.store.get(original.id)?.relays.map((r) => r.ok)).toEqual([false, true]);
    } finally {
      await source.close();
      proxy.server.close();
    }
  });

  it('passes the relay’s own refusal on (a wrong password is its 535)', async () => {
    const source = await startSource({ url: `smtp://relay%40example.test:wrong@127.0.0.1:${authTarget.ports.smtp}?starttls=required`, allow: ['*'], ca: authTarget.context.tls.cert });
    try {
      const original = await sendTricky(source, 'ann@example.test', 'bad password release');
      const { status, body } = await release(source, original.id);
      expect(status).toBe(502);
      expect(body.reply).toMatch(/^535 /);
      expect(body.error.message).toContain('535');
    } finally {
      await source.close();
    }
  });
});

describe('--relay-auto', () => {
  it('releases each new matching message to its allowed recipients only, after it was stored', async () => {
    const source = await startSource({ url: `smtp://127.0.0.1:${target.ports.smtp}?starttls=never`, allow: ['*@allowed.test'], auto: 'tag:ship' });
    try {
      const arrived = target.waitForMessage({ subject: 'auto release' });
      const original = await sendTricky(source, ['ann+ship@allowed.test', 'bob@not-allowed.test'], 'auto release');
      const copy = await arrived;
      expect(copy.raw.equals(original.raw)).toBe(true);
      expect(copy.envelope.rcptTo).toEqual(['ann+ship@allowed.test']);
      // The mark is recorded when the relay answered; wait for that update rather than sleeping.
      const marked = source.store.get(original.id)!.relays.length
        ? source.store.get(original.id)!
        : await new Promise<any>((resolve) => source.store.on('message.updated', (m) => m.id === original.id && m.relays.length && resolve(m)));
      expect(marked.relays[0]).toMatchObject({ ok: true, to: ['ann+ship@allowed.test'] });
      const sessions = target.context.sessions.list('smtp').length;
      await sendTricky(source, 'ann@allowed.test', 'auto skip'); // no tag: not released
      await source.send({ from: 'a@x.test', to: 'zed+ship@allowed.test', subject: 'auto via api', text: 'x' });
      expect((await target.waitForMessage({ subject: 'auto via api' })).envelope.rcptTo).toEqual(['zed+ship@allowed.test']);
      expect(target.messages({ subject: 'auto skip' })).toEqual([]);
      expect(target.context.sessions.list('smtp').length).toBe(sessions + 1);
    } finally {
      await source.close();
    }
  });
});
