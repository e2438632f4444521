import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import { dataPayload, makeMessage, nextMessage, RawSmtpClient, smtpSandbox } from './smtp-helpers.js';

/** Sends one whole transaction on an open, greeted connection; returns the final reply. */
async function transaction(client: RawSmtpClient, raw: Buffer, to = 'ann@example.test'): Promise<string | null> {
  expect(await client.command('MAIL FROM:<sender@example.test>')).toMatch(/^250/);
  expect(await client.command(`RCPT TO:<${to}>`)).toMatch(/^250/);
  expect(await client.command('DATA')).toMatch(/^354/);
  client.write(dataPayload(raw));
  return client.reply();
}

/** A message sent by a well-behaved client still gets through: the server survived. */
async function expectStillServing(sandbox: Sandbox): Promise<void> {
  const client = await RawSmtpClient.connect(sandbox.ports.smtp as number);
  await client.hello();
  const raw = makeMessage('still serving');
  const reply = await transaction(client, raw);
  expect(reply).toMatch(/^250 2\.6\.0 Ok: queued as (\S+)$/);
  const id = /queued as (\S+)$/.exec(reply as string)?.[1] as string;
  expect(sandbox.store.get(id)?.raw.equals(raw)).toBe(true);
  await client.command('QUIT');
}

describe('SMTP bad input and limits', () => {
  let sandbox: Sandbox;
  let port: number;
  /** Every client of this suite, so the last test can check that every `250 queued as <id>` is in the store. */
  const clients: RawSmtpClient[] = [];
  const open = async () => {
    const client = await RawSmtpClient.connect(port);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    sandbox = await smtpSandbox({
      maxMessageSize: 4096,
      limits: { maxRecipients: 3, smtpLineLength: 200, smtpBadCommands: 3, maxConnections: 20 },
    });
    port = sandbox.ports.smtp as number;
  });
  afterAll(() => sandbox.close());

  it('stores exactly the bytes sent after dot-unstuffing and names the id in the 250', async () => {
    const client = await open();
    await client.hello();
    const raw = makeMessage('dots', '.\r\n..\r\n.leading dot\r\nlast line\r\n');
    const added = nextMessage(sandbox);
    const reply = await transaction(client, raw);
    const message = await added;
    expect(reply).toBe(`250 2.6.0 Ok: queued as ${message.id}`);
    expect(message.raw.equals(raw)).toBe(true);
    await client.command('QUIT');
  });

  it('refuses a message over the size limit with 552 5.3.4, stores nothing, and the next message on the connection works', async () => {
    const client = await open();
    await client.hello();
    const before = sandbox.store.size;
    // No SIZE parameter: the limit must hold on the bytes that actually arrive.
    const big = makeMessage('too big', 'x'.repeat(78) + '\r\n'.repeat(1) + ('y'.repeat(78) + '\r\n').repeat(60));
    expect(await transaction(client, big)).toMatch(/^552 5\.3\.4 /);
    expect(sandbox.store.size).toBe(before);
    const small = makeMessage('small after big');
    expect(await transaction(client, small)).toMatch(/^250 /);
    expect(sandbox.store.size).toBe(before + 1);
    await client.command('QUIT');
  });

  it('accepts a message of exactly the size limit and refuses one byte more', async () => {
    const client = await open();
    await client.hello();
    const head = makeMessage('exact size', '');
    const exact = Buffer.concat([head, Buffer.from('z'.repeat(4096 - head.length - 2) + '\r\n')]);
    expect(exact.length).toBe(4096);
    expect(await transaction(client, exact)).toMatch(/^250 /);
    const over = Buffer.concat([head, Buffer.from('z'.repeat(4096 - head.length - 1) + '\r\n')]);
    expect(await transaction(client, over)).toMatch(/^552 5\.3\.4 /);
    await client.command('QUIT');
  });

  it('refuses a SIZE parameter over the limit at MAIL FROM with 552', async () => {
    const client = await open();
    await client.hello();
    expect(await client.command('MAIL FROM:<a@example.test> SIZE=999999')).toMatch(/^552 /);
    await client.command('QUIT');
  });

  it('answers a recipient past limits.maxRecipients with 452 4.5.3 and keeps the ones before', async () => {
    const client = await open();
    await client.hello();
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250/);
    for (const n of [1, 2, 3]) expect(await client.command(`RCPT TO:<r${n}@example.test>`)).toMatch(/^250/);
    expect(await client.command('RCPT TO:<r4@example.test>')).toMatch(/^452 4\.5\.3 /);
    expect(await client.command('DATA')).toMatch(/^354/);
    const added = nextMessage(sandbox);
    client.write(dataPayload(makeMessage('three recipients')));
    expect(await client.reply()).toMatch(/^250/);
    expect((await added).envelope.rcptTo).toEqual(['r1@example.test', 'r2@example.test', 'r3@example.test']);
    await client.command('QUIT');
  });

  it('answers an overlong command line with 500 5.5.2 and keeps the session', async () => {
    const client = await open();
    await client.hello();
    expect(await client.command(`NOOP ${'a'.repeat(300)}`)).toMatch(/^500 5\.5\.2 /);
    expect(await client.command('NOOP')).toMatch(/^250/);
    await client.command('QUIT');
  });

  it('answers a line past the parser cap with 500 5.5.2 and closes, and still serves others', async () => {
    const client = await open();
    await client.hello();
    client.write('NOOP ' + 'a'.repeat(64 * 1024));
    expect(await client.reply()).toMatch(/^500 5\.5\.2 /);
    await client.closed;
    await expectStillServing(sandbox);
  });

  it.each([
    ['CR', 'MAIL FROM:<a\rb@example.test>'],
    ['NUL', 'MAIL FROM:<a\0b@example.test>'],
    ['CR in RCPT', 'RCPT TO:<a\rb@example.test>'],
  ])('rejects %s in an envelope address', async (_name, line) => {
    const client = await open();
    await client.hello();
    if (line.startsWith('RCPT')) expect(await client.command('MAIL FROM:<ok@example.test>')).toMatch(/^250/);
    expect(await client.command(line)).toMatch(/^5(01|53) /);
    await client.command('QUIT');
  });

  it('refuses an LF inside MAIL FROM once with 501 5.5.2: no part of the line runs as a command', async () => {
    const client = await open();
    await client.hello();
    client.write('MAIL FROM:<a\nb@example.test>\r\n');
    expect(await client.reply()).toMatch(/^501 5\.5\.2 .*bare LF/);
    expect(await client.command('RCPT TO:<x@example.test>')).toMatch(/^503 /);
    await client.command('QUIT');
  });

  it('answers the limits.smtpBadCommands-th bad command with its error and then 421 4.7.0, and closes', async () => {
    const client = await open();
    await client.hello();
    for (let i = 0; i < 2; i++) expect(await client.command(`BOGUS${i}`)).toMatch(/^500 5\.5\.2 /);
    expect(await client.command('BOGUS2')).toMatch(/^500 5\.5\.2 /);
    expect(await client.reply()).toMatch(/^421 4\.7\.0 /);
    await client.closed;
    expect(client.received.match(/^500 /gm)).toHaveLength(3);
    await expectStillServing(sandbox);
  });

  it.each([
    ['LF.LF', '\n.\n'],
    ['CR.CR', '\r.\r'],
    ['LF.CRLF', '\n.\r\n'],
    ['CRLF.LF', '\r\n.\n'],
    ['CR.CRLF', '\r.\r\n'],
  ])('does not end DATA at %s, so no second message can be smuggled', async (_name, fakeEnd) => {
    const client = await open();
    await client.hello();
    const smuggled = `Subject: smuggle\r\n\r\nbody${fakeEnd}MAIL FROM:<evil@example.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nSubject: evil\r\n\r\nsmuggled\r\n`;
    const added = nextMessage(sandbox);
    const before = sandbox.store.size;
    expect(await client.command('MAIL FROM:<sender@example.test>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<ann@example.test>')).toMatch(/^250/);
    expect(await client.command('DATA')).toMatch(/^354/);
    client.write(smuggled + '.\r\n');
    expect(await client.reply()).toMatch(/^250 /);
    const message = await added;
    expect(message.raw.toString('utf8')).toBe(smuggled);
    expect(sandbox.store.size).toBe(before + 1);
    expect(sandbox.store.getMailbox('victim@example.test')).toBeUndefined();
    expect(await client.command('NOOP')).toMatch(/^250 /);
    await client.command('QUIT');
  });

  it('treats a first DATA line of ".." as a dot, not as the end', async () => {
    const client = await open();
    await client.hello();
    const added = nextMessage(sandbox);
    expect(await client.command('MAIL FROM:<sender@example.test>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<ann@example.test>')).toMatch(/^250/);
    expect(await client.command('DATA')).toMatch(/^354/);
    client.write('..\r\n');
    client.write('MAIL FROM:<evil@example.test>\r\n.\r\n');
    expect(await client.reply()).toMatch(/^250 /);
    expect((await added).raw.toString()).toBe('.\r\nMAIL FROM:<evil@example.test>\r\n');
    await client.command('QUIT');
  });

  it('stores nothing when the client vanishes mid-DATA, and keeps serving', async () => {
    const client = await open();
    await client.hello();
    const before = sandbox.store.stats().received;
    expect(await client.command('MAIL FROM:<sender@example.test>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<ann@example.test>')).toMatch(/^250/);
    expect(await client.command('DATA')).toMatch(/^354/);
    const sessionId = sandbox.context.sessions.list('smtp')[0].id;
    const ended = new Promise<void>((resolve) => {
      const off = sandbox.context.sessions.on('session.ended', (s) => {
        if (s.id === sessionId) {
          off();
          resolve();
        }
      });
    });
    client.write('Subject: half\r\n\r\nonly half of the body');
    client.destroy();
    await ended;
    expect(sandbox.store.stats().received).toBe(before);
    await expectStillServing(sandbox);
  });

  it('survives arbitrary byte sequences: every session gets answers or is closed, and the server keeps serving', async () => {
    const fragment = fc.oneof(
      fc.constantFrom('EHLO x\r\n', 'MAIL FROM:<a@example.test>\r\n', 'RCPT TO:<b@example.test>\r\n', 'DATA\r\n', '.\r\n', 'STARTTLS\r\n', 'AUTH LOGIN\r\n', 'RSET\r\n', '\r\n', '\n', '\r', '\0'),
      fc.string({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fragment, { maxLength: 25 }), async (fragments) => {
        const client = await open();
        expect(await client.reply()).toMatch(/^220 /);
        client.write(Buffer.from(fragments.join(''), 'latin1'));
        client.write('\r\n.\r\nQUIT\r\n');
        // Whatever state the bytes left the session in, QUIT (or the close after a 421) ends it.
        const done = client.closed;
        client.socket.end();
        await done;
      }),
      { numRuns: 40 },
    );
    await expectStillServing(sandbox);
  });

  it('rejects MAIL before EHLO with 503', async () => {
    const client = await open();
    await client.reply();
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^503 /);
    await client.command('QUIT');
  });

  it('accepts HELO', async () => {
    const client = await open();
    await client.reply();
    expect(await client.command('HELO client.test')).toMatch(/^250 /);
    expect(await transaction(client, makeMessage('after helo'))).toMatch(/^250 /);
    await client.command('QUIT');
  });

  it('has stored every message that got a 250 in this suite, byte-complete', () => {
    const ids = clients.flatMap((c) => [...c.received.matchAll(/^250 2\.6\.0 Ok: queued as (\S+)\r$/gm)].map((m) => m[1]));
    expect(ids.length).toBeGreaterThanOrEqual(10);
    for (const id of ids) expect(sandbox.store.get(id)?.size).toBeGreaterThan(0);
  });
});

describe('SMTP connection limits and timeouts', () => {
  it('refuses a connection past limits.maxConnections with 421 4.7.0', async () => {
    const sandbox = await smtpSandbox({ limits: { maxConnections: 2 } });
    const port = sandbox.ports.smtp as number;
    try {
      const a = await RawSmtpClient.connect(port);
      const b = await RawSmtpClient.connect(port);
      expect(await a.reply()).toMatch(/^220 /);
      expect(await b.reply()).toMatch(/^220 /);
      const c = await RawSmtpClient.connect(port);
      expect(await c.reply()).toMatch(/^421 4\.7\.0 /);
      await c.closed;
      await a.command('QUIT');
      await a.closed;
      const d = await RawSmtpClient.connect(port);
      expect(await d.reply()).toMatch(/^220 /);
      for (const x of [b, d]) x.destroy();
    } finally {
      await sandbox.close();
    }
  });

  it('closes an idle session with 421 after limits.smtpIdleMs', async () => {
    const sandbox = await smtpSandbox({ limits: { smtpIdleMs: 300 } });
    try {
      const client = await RawSmtpClient.connect(sandbox.ports.smtp as number);
      await client.hello();
      const started = Date.now();
      expect(await client.reply()).toMatch(/^421 /);
      await client.closed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      await sandbox.close();
    }
  });
});
