import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/index.js';
import type { Sandbox } from '../../src/index.js';

const off = { port: false } as const;
const crlfName = 'bob\r\n* BYE @x.test';
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** Sends `lines` one after another, each once the previous answer (matching `until`) has arrived; returns all output. */
async function converse(socket: Socket, steps: Array<[send: string, until: RegExp]>): Promise<string> {
  let out = '';
  socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (re.test(out) ? (socket.off('data', check), resolve()) : undefined);
      socket.on('data', check);
      socket.once('close', () => reject(new Error(`closed before ${re}: ${out}`)));
      check();
    });
  await waitFor(/^\* OK/m);
  for (const [send, until] of steps) {
    socket.write(send);
    await waitFor(until);
  }
  return out;
}

describe('IMAP login names', () => {
  it.each([
    ['LOGIN with a literal carrying CRLF', [[`a LOGIN {${Buffer.byteLength(crlfName)}}\r\n`, /^\+ /m], [`${crlfName} x\r\n`, /^a (OK|NO|BAD)/m]]],
    ['AUTHENTICATE PLAIN with a NUL-free CRLF authcid', [[`b AUTHENTICATE PLAIN ${Buffer.from('\0bob\r\nx@y.test\0pw').toString('base64')}\r\n`, /^b (OK|NO|BAD)/m]]],
  ] as Array<[string, Array<[string, RegExp]>]>)('refuses %s and creates no mailbox', async (_name, steps) => {
    sandbox = await createSandbox({ logLevel: 'silent', smtp: off, smtps: off, pop3: off, pop3s: off, imaps: off, http: off });
    const socket = netConnect({ port: sandbox.ports.imap!, host: '127.0.0.1' });
    const out = await converse(socket, steps);
    socket.destroy();
    expect(out).toMatch(/^[ab] NO \[AUTHENTICATIONFAILED\] Invalid user name/m);
    expect(sandbox.store.mailboxes()).toEqual([]);
  });
});

describe('IMAPS connection limit', () => {
  it('counts connections still in their TLS handshake, so stalled handshakes cannot exceed the limit', async () => {
    sandbox = await createSandbox({ logLevel: 'silent', smtp: off, smtps: off, pop3: off, pop3s: off, imap: off, http: off, limits: { maxConnections: 2 } });
    const port = sandbox.ports.imaps!;
    const closedByServer = new Set<Socket>();
    let onClosed = () => {};
    const open = async () => {
      const s = netConnect({ port, host: '127.0.0.1' });
      s.on('error', () => {});
      s.once('close', () => {
        closedByServer.add(s);
        onClosed();
      });
      await once(s, 'connect');
      return s;
    };
    const stalled = await Promise.all([open(), open()]);
    // Past the limit a TLS client still completes its handshake, and is told why it can't stay.
    const late = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    late.on('error', () => {});
    const [first] = (await once(late, 'data')) as [Buffer];
    expect(first.toString()).toMatch(/^\* BYE Too many connections/);
    // Past twice the limit (room for those refusals), stalled connections are dropped before any handshake: with
    // nine opened, at least five must be closed by the server, and it never holds more than four.
    stalled.push(...(await Promise.all(Array.from({ length: 7 }, open))));
    await new Promise<void>((resolve) => {
      onClosed = () => closedByServer.size >= 5 && resolve();
      onClosed();
    });
    expect(stalled.length - closedByServer.size).toBeLessThanOrEqual(4);
    for (const s of stalled) s.destroy();
    late.destroy();
  });
});
