import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import type { FaultRuleInput } from '../../src/api/faults.js';
import { pop3Sandbox, rawConnect } from './pop3-helpers.js';

const bob = 'bob@example.test';
const body = `From: a@example.test\r\nTo: ${bob}\r\nSubject: Big\r\n\r\n${'0123456789abcdefghij\r\n'.repeat(200)}`;

describe('POP3 fault injection (wire level)', () => {
  let sandbox: Sandbox;
  let port: number;

  beforeAll(async () => {
    sandbox = await pop3Sandbox();
    port = sandbox.ports.pop3 as number;
    await sandbox.deliver(body, { to: bob });
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await sandbox.faults.clear();
  });

  const add = (rule: Omit<FaultRuleInput, 'protocol'>) => sandbox.faults.add({ protocol: 'pop3', ...rule });

  async function login(user = bob) {
    const conn = await rawConnect(port);
    conn.client.sendLine(`USER ${user}`);
    await conn.client.readLine();
    conn.client.sendLine('PASS x');
    return { ...conn, pass: await conn.client.readLine() };
  }

  it('answers the greeting with the fault reply at connect and closes', async () => {
    const rule = await add({ on: 'connect', action: 'reply', reply: '-ERR [SYS/TEMP] server busy' });
    const { client, greeting } = await rawConnect(port);
    expect(greeting).toBe('-ERR [SYS/TEMP] server busy');
    await client.closed();
    expect(rule.hits).toBe(1);
  });

  it('refuses the login of a matching user on auth and lets another one in', async () => {
    await add({ on: 'auth', match: { user: 'bob@' }, action: 'reply', reply: '-ERR [AUTH] no' });
    expect((await login()).pass).toBe('-ERR [AUTH] no');
    expect((await login('ann@example.test')).pass).toMatch(/^\+OK/);
  });

  it.each(['STAT', 'LIST', 'UIDL', 'RETR 1', 'TOP 1 0', 'DELE 1', 'NOOP', 'RSET', 'QUIT'])('answers %s with the injected -ERR and keeps the session', async (command) => {
    const name = command.split(' ')[0];
    const rule = await add({ on: name.toLowerCase(), action: 'reply', reply: `-ERR [SYS/TEMP] ${name} failed`, times: 1 });
    const { client } = await login();
    client.sendLine(command);
    expect(await client.readLine()).toBe(`-ERR [SYS/TEMP] ${name} failed`);
    client.sendLine('NOOP');
    expect(await client.readLine()).toMatch(/^\+OK/);
    expect(rule.spent).toBe(true);
    client.sendLine('QUIT');
    await client.closed();
  });

  it('cuts RETR mid-response with disconnect + partial', async () => {
    await add({ on: 'RETR', action: 'disconnect', partial: true });
    const { client, socket } = await login();
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    client.sendLine('RETR 1');
    await client.closed();
    expect(received.startsWith('+OK')).toBe(true);
    expect(received).not.toMatch(/\r\n\.\r\n$/);
    expect(received.length).toBeLessThan(body.length);
    expect(received.length).toBeGreaterThan(body.length / 4);
  });

  it('drops the connection without an answer on disconnect', async () => {
    await add({ on: 'STAT', action: 'disconnect' });
    const { client } = await login();
    client.sendLine('STAT');
    expect(await client.readLine()).toBeNull();
  });

  it('throttles RETR output to bytesPerSecond in small pieces', async () => {
    await add({ on: 'RETR', action: 'throttle', bytesPerSecond: 20_000 });
    const { client, socket } = await login();
    const reads: number[] = [];
    socket.on('data', (d: Buffer) => reads.push(d.length));
    const started = performance.now();
    client.sendLine('RETR 1');
    await client.readLine();
    const got = await client.readMultiline();
    expect(got.length).toBe(Buffer.byteLength(body));
    // 4.4 KB at 20 KB/s: about 0.2 s in 2 KB slices.
    expect(performance.now() - started).toBeGreaterThan(150);
    expect(Math.max(...reads)).toBeLessThanOrEqual(2_000);
    client.sendLine('QUIT');
  });

  it('delays the answer, then answers normally', async () => {
    await add({ on: 'STAT', action: 'delay', delayMs: 250 });
    const { client } = await login();
    const started = performance.now();
    client.sendLine('STAT');
    expect(await client.readLine()).toMatch(/^\+OK 1 /);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    client.sendLine('QUIT');
  });
});
