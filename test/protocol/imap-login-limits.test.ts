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
    const stalled = await Promise.all([0, 1].map(async () => {
      const s = netConnect({ port, host: '127.0.0.1' });
      s.on('error', () => {});
      await once(s, 'connect');
      return s;
    }));
    // The server has accepted both once a third TCP connection is refused; a TLS client past the limit never
    // gets a greeting.
    const late = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    let greeted = false;
    late.on('data', () => (greeted = true));
    late.on('error', () => {});
    // events.once() would reject on the reset; only the close matters here.
    await new Promise((resolve) => late.once('close', resolve));
    expect(greeted).toBe(false);
    for (const s of stalled) s.destroy();
  });
});
