import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect as tlsConnect } from 'node:tls';
import Pop3Command from 'node-pop3';
import type { Sandbox } from '../../src/index.js';
import { LineClient } from '../session/pop3-harness.js';
import { dottyMessage, nextSessionEnd, pop3Sandbox, rawConnect, unstuff } from './pop3-helpers.js';

const bob = 'bob@example.test';

/** node-pop3 strips the CRLF before the terminator along with it (it cuts `\r\n.\r\n`); put it back. */
const withFinalCrlf = (text: string): string => text + '\r\n';

describe('POP3 over real sockets with node-pop3', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await pop3Sandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const client = (secure = false, user = bob) =>
    new Pop3Command({
      user,
      password: 'any',
      host: '127.0.0.1',
      port: (secure ? sandbox.ports.pop3s : sandbox.ports.pop3) as number,
      tls: secure,
      // node-pop3 sends the host as SNI by default; an IP there is deprecated (DEP0123), so name the certificate's host.
      servername: 'localhost',
      tlsOptions: { rejectUnauthorized: false },
    });

  it.each([false, true])('lists, retrieves byte for byte and quits (implicit TLS: %s)', async (secure) => {
    const raws = [dottyMessage('one'), dottyMessage('two with a longer subject')];
    for (const raw of raws) await sandbox.deliver(raw, { to: bob });
    const pop3 = client(secure);
    expect(await pop3.STAT()).toBe(`2 ${raws[0].length + raws[1].length}`);
    expect(await pop3.LIST()).toEqual([
      ['1', String(raws[0].length)],
      ['2', String(raws[1].length)],
    ]);
    for (const [i, raw] of raws.entries()) {
      const wire = await pop3.RETR(i + 1);
      expect(Buffer.from(withFinalCrlf(unstuff(wire))).equals(raw)).toBe(true);
    }
    await pop3.QUIT();
    expect(sandbox.messages({ mailbox: bob })).toHaveLength(2);
  });

  it('gives UIDLs that are stable across sessions and unique in the mailbox', async () => {
    for (let i = 0; i < 3; i++) await sandbox.deliver(dottyMessage(`m${i}`), { to: bob });
    const first = client();
    const uidls = (await first.UIDL()) as string[][];
    await first.QUIT();
    const second = client();
    expect(await second.UIDL()).toEqual(uidls);
    expect(await second.UIDL(2)).toEqual(uidls[1]);
    await second.QUIT();
    const ids = uidls.map(([, id]) => id);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[\x21-\x7e]{1,70}$/);
  });

  it('deletes at QUIT: the message leaves the store and the API', async () => {
    const kept = await sandbox.deliver(dottyMessage('kept'), { to: bob });
    const gone = await sandbox.deliver(dottyMessage('gone'), { to: bob });
    const pop3 = client();
    await pop3.DELE(2);
    expect(sandbox.store.get(gone.id)).toBeDefined();
    await pop3.QUIT();
    expect(sandbox.store.get(gone.id)).toBeUndefined();
    expect(sandbox.messages().map((m) => m.id)).toEqual([kept.id]);
  });

  it('removes only that mailbox\'s copy of a message delivered to two mailboxes', async () => {
    const both = await sandbox.deliver(dottyMessage('both'), { to: [bob, 'carol@example.test'] });
    const pop3 = client();
    await pop3.DELE(1);
    await pop3.QUIT();
    expect(sandbox.store.get(both.id)).toBeDefined();
    expect(sandbox.messages()[0].mailboxes).toEqual(['carol@example.test']);
  });

  it('undoes DELE with RSET', async () => {
    await sandbox.deliver(dottyMessage('x'), { to: bob });
    const pop3 = client();
    await pop3.DELE(1);
    await pop3.RSET();
    await pop3.QUIT();
    expect(sandbox.store.size).toBe(1);
  });

  it('keeps a message deleted through the API retrievable in a live session', async () => {
    const raw = dottyMessage('deleted meanwhile');
    const summary = await sandbox.deliver(raw, { to: bob });
    const pop3 = client();
    expect(await pop3.STAT()).toBe(`1 ${raw.length}`);
    sandbox.store.deleteMessage(summary.id);
    expect(Buffer.from(withFinalCrlf(unstuff(await pop3.RETR(1)))).equals(raw)).toBe(true);
    await pop3.QUIT();
  });
});

describe('POP3 over real sockets: locking, TLS, limits', () => {
  let sandbox: Sandbox;
  afterEach(async () => {
    await sandbox.close();
  });

  it('refuses a second session on the same mailbox with [IN-USE], across the POP3 and POP3S listeners', async () => {
    sandbox = await pop3Sandbox();
    const a = await rawConnect(sandbox.ports.pop3 as number);
    a.client.send(`USER ${bob}\r\nPASS x\r\n`);
    await a.client.readLine();
    expect(await a.client.readLine()).toMatch(/^\+OK/);
    const b = await rawConnect(sandbox.ports.pop3s as number, true);
    b.client.send(`USER ${bob}\r\nPASS x\r\n`);
    await b.client.readLine();
    expect(await b.client.readLine()).toMatch(/^-ERR \[IN-USE\]/);
    const ended = nextSessionEnd(sandbox);
    a.client.sendLine('QUIT');
    await ended;
    b.client.sendLine(`USER ${bob}`);
    await b.client.readLine();
    b.client.sendLine('PASS x');
    expect(await b.client.readLine()).toMatch(/^\+OK/);
    b.socket.destroy();
  });

  it('deletes nothing when the connection drops before QUIT', async () => {
    sandbox = await pop3Sandbox();
    await sandbox.deliver(dottyMessage('x'), { to: bob });
    const { client, socket } = await rawConnect(sandbox.ports.pop3 as number);
    client.send(`USER ${bob}\r\nPASS x\r\nDELE 1\r\n`);
    for (let i = 0; i < 3; i++) expect(await client.readLine()).toMatch(/^\+OK/);
    const ended = nextSessionEnd(sandbox);
    socket.destroy();
    await ended;
    expect(sandbox.store.size).toBe(1);
    expect(sandbox.store.getMailbox(bob)?.pop3LockedBy).toBeNull();
  });

  it('discards plaintext pipelined after STLS (command injection) and carries on over TLS', async () => {
    sandbox = await pop3Sandbox({ starttls: 'on' });
    const { client, socket, greeting } = await rawConnect(sandbox.ports.pop3 as number);
    expect(greeting).toMatch(/^\+OK .*<.+@.+>$/);
    socket.write(`STLS\r\nUSER evil@example.test\r\n`);
    expect(await client.readLine()).toBe('+OK Begin TLS negotiation');
    socket.removeAllListeners('data');
    const secure = tlsConnect({ socket, rejectUnauthorized: false });
    await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
    const tls = new LineClient(secure);
    tls.sendLine('PASS x');
    expect(await tls.readLine()).toBe('-ERR USER first');
    tls.send(`USER ${bob}\r\nPASS x\r\nSTAT\r\nQUIT\r\n`);
    await tls.readLine();
    expect(await tls.readLine()).toMatch(/^\+OK bob@example.test has 0 messages/);
    expect(await tls.readLine()).toBe('+OK 0 0');
    const session = sandbox.context.sessions.list('pop3')[0];
    expect(session.tls).toBe(true);
  });

  it('drops a client that answers STLS with plaintext instead of a TLS handshake, and keeps serving others', async () => {
    sandbox = await pop3Sandbox({ starttls: 'on' });
    const { client, socket } = await rawConnect(sandbox.ports.pop3 as number);
    socket.write('STLS\r\n');
    expect(await client.readLine()).toBe('+OK Begin TLS negotiation');
    const ended = nextSessionEnd(sandbox);
    socket.write('CAPA\r\nUSER x@example.test\r\n');
    await client.closed();
    await ended;
    const other = await rawConnect(sandbox.ports.pop3 as number);
    expect(other.greeting).toMatch(/^\+OK/);
    other.socket.destroy();
  });

  it('survives plaintext and garbage sent to the POP3S port and keeps serving TLS clients', async () => {
    sandbox = await pop3Sandbox();
    const { connect } = await import('node:net');
    const junk = connect({ port: sandbox.ports.pop3s as number, host: '127.0.0.1' });
    await new Promise<void>((resolve) => junk.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => junk.once('close', () => resolve()));
    junk.on('error', () => undefined);
    junk.write(Buffer.from('USER x\r\n\x16\x03\x01\x00\x05\x00\xff\xff\xff\xff'));
    await closed;
    const ok = await rawConnect(sandbox.ports.pop3s as number, true);
    expect(ok.greeting).toMatch(/^\+OK/);
    ok.socket.destroy();
  });

  it('offers STLS in CAPA on the plain port only (with starttls on)', async () => {
    sandbox = await pop3Sandbox({ starttls: 'on' });
    for (const [port, secure] of [[sandbox.ports.pop3, false], [sandbox.ports.pop3s, true]] as const) {
      const { client, socket } = await rawConnect(port as number, secure);
      client.sendLine('CAPA');
      await client.readLine();
      const capa = (await client.readMultiline()).toString().trim().split('\r\n');
      expect(capa.includes('STLS')).toBe(!secure);
      socket.destroy();
    }
  });

  it('answers -ERR and closes when the listener is at its connection limit', async () => {
    sandbox = await pop3Sandbox({ limits: { maxConnections: 2 } });
    const port = sandbox.ports.pop3 as number;
    const open = [await rawConnect(port), await rawConnect(port)];
    const third = await rawConnect(port);
    expect(third.greeting).toBe('-ERR [SYS/TEMP] Too many connections, try again later');
    await third.client.closed();
    // The limit is per listener: POP3S still has room.
    const other = await rawConnect(sandbox.ports.pop3s as number, true);
    expect(other.greeting).toMatch(/^\+OK/);
    for (const c of [...open, other]) c.socket.destroy();
  });

  it('answers every command of a client that half-closes right after sending them', async () => {
    sandbox = await pop3Sandbox();
    const raw = dottyMessage('half-closed');
    await sandbox.deliver(raw, { to: bob });
    const { client, socket } = await rawConnect(sandbox.ports.pop3 as number);
    socket.end(`USER ${bob}\r\nPASS x\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n`);
    for (let i = 0; i < 3; i++) expect(await client.readLine()).toMatch(/^\+OK/);
    expect((await client.readMultiline()).equals(raw)).toBe(true);
    expect(await client.readLine()).toBe('+OK Message 1 deleted');
    expect(await client.readLine()).toMatch(/^\+OK .*1 messages deleted/);
    await client.closed();
    expect(sandbox.store.size).toBe(0);
  });

  it('says goodbye to live sessions when the sandbox closes', async () => {
    sandbox = await pop3Sandbox();
    const { client } = await rawConnect(sandbox.ports.pop3 as number);
    await sandbox.close();
    expect(await client.readLine()).toBe('-ERR [SYS/TEMP] Server shutting down');
    await client.closed();
  });

  it('retrieves a 5 MB message with a dot on every line byte for byte', async () => {
    sandbox = await pop3Sandbox();
    const line = Buffer.from('.' + 'x'.repeat(76) + '\r\n');
    const raw = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(line.length * 65_000).fill(line)]);
    await sandbox.deliver(raw, { to: bob });
    const { socket, client } = await rawConnect(sandbox.ports.pop3 as number);
    client.send(`USER ${bob}\r\nPASS x\r\n`);
    await client.readLine();
    await client.readLine();
    socket.removeAllListeners('data');
    socket.pause();
    socket.write('RETR 1\r\n');
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      let tail = Buffer.alloc(0);
      socket.on('readable', () => {
        for (let c = socket.read() as Buffer | null; c; c = socket.read() as Buffer | null) {
          chunks.push(c);
          tail = Buffer.concat([tail, c]).subarray(-5);
          if (tail.toString() === '\r\n.\r\n') resolve();
        }
      });
    });
    const wire = Buffer.concat(chunks);
    const body = wire.subarray(wire.indexOf('\r\n') + 2, wire.length - 3);
    expect(wire.subarray(0, wire.indexOf('\r\n')).toString()).toBe(`+OK ${raw.length} octets`);
    expect(Buffer.from(unstuff(body.toString('latin1')), 'latin1').equals(raw)).toBe(true);
    socket.destroy();
  });
});
