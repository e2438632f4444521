import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { RawSmtpClient } from '../protocol/smtp-helpers.js';
import { rawConnect } from '../protocol/pop3-helpers.js';
import { postgresMissing, startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';

/**
 * Faults of a several-node sandbox on PostgreSQL (issue #13): a node killed with SIGKILL in the middle of SMTP load
 * loses none of the mail it answered 250 for; a PostgreSQL restart under load answers in-flight transactions
 * `451 4.3.0` (never 250 without a commit), `/healthz` is 503 while the database is away, and the node reconnects
 * by itself. The ledger is the list of subjects a client got a 250 for; a node started afterwards replays the log
 * and must hold every one.
 */
const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

describe.skipIf(postgresMissing)(`faults with several nodes on PostgreSQL${postgresMissing ? ` (skipped: ${postgresMissing})` : ''}`, () => {
  let cluster: PostgresCluster;
  let url = '';
  const children: ChildProcessWithoutNullStreams[] = [];
  const sandboxes: Sandbox[] = [];

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    url = await cluster.createDatabase('faults');
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(sandboxes.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  async function cliNode(tenant: string): Promise<{ child: ChildProcessWithoutNullStreams; ports: Record<string, number | null> }> {
    const child = spawn(process.execPath, [cliPath, '--json-banner', '--ports', '0', '--no-smtps', '--no-pop3s', '--no-imaps', '--no-submission', '--log-level', 'error', '--max-messages', '0'], {
      env: { ...process.env, MAILSANDBOX_DATABASE_URL: url, MAILSANDBOX_TENANT: tenant },
    });
    children.push(child);
    const banner = await new Promise<{ ports: Record<string, number | null> }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.once('exit', (code) => reject(new Error(`node exited with ${code} before ready: ${out}`)));
    });
    return { child, ports: banner.ports };
  }

  async function node(tenant: string): Promise<Sandbox> {
    const s = await createSandbox({ databaseUrl: url, tenant, smtps: { port: false }, pop3s: { port: false }, imaps: { port: false }, submission: { port: false }, pop3: { port: false }, imap: { port: false }, logLevel: 'silent', maxMessages: 0 });
    sandboxes.push(s);
    return s;
  }

  /** Sends on `connections` parallel SMTP connections until `stop()`; every 250 goes in the ledger. */
  function load(port: number, prefix: string, connections: number) {
    const ledger: string[] = [];
    const refusals: string[] = [];
    let stopped = false;
    let sent = 0;
    const onLedger: Array<() => void> = [];
    const loops = Array.from({ length: connections }, async (_, c) => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: false });
      try {
        while (!stopped) {
          const subject = `${prefix} ${c}-${sent++}`;
          try {
            const info = await transport.sendMail({ from: 'load@example.test', to: 'ledger@example.test', subject, text: 'x'.repeat(1000) });
            if (/^250 /.test(info.response)) ledger.push(subject);
            for (const f of onLedger.splice(0)) f();
          } catch (err) {
            const e = err as { responseCode?: number; response?: string; code?: string };
            if (e.responseCode) refusals.push(e.response ?? String(e.responseCode));
            else if (e.code === 'ECONNREFUSED' || e.code === 'ESOCKET' || e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT') return; // the node is gone
            else refusals.push(String((err as Error).message));
          }
        }
      } finally {
        transport.close();
      }
    });
    return {
      ledger,
      refusals,
      /** Resolves once the ledger holds at least `n` entries. */
      until: (n: number) =>
        new Promise<void>((resolve) => {
          const check = () => (ledger.length >= n ? resolve() : onLedger.push(check));
          check();
        }),
      stop: async () => {
        stopped = true;
        await Promise.all(loops);
      },
    };
  }

  it('a node killed with SIGKILL mid-load loses nothing it answered 250 for; the others keep serving', async () => {
    const tenant = 'kill';
    const [a, b] = [await cliNode(tenant), await cliNode(tenant)];
    const traffic = load(a.ports.smtp!, 'kill', 4);
    await traffic.until(40);
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    await traffic.stop();
    // The surviving node still takes mail.
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: b.ports.smtp!, secure: false, ignoreTLS: true });
    const after = await transport.sendMail({ from: 'x@example.test', to: 'ledger@example.test', subject: 'after the kill', text: 'still here' });
    transport.close();
    expect(after.response).toMatch(/^250 /);
    // A node started now replays the log: every acknowledged message is there.
    const c = await node(tenant);
    const stored = new Set(c.messages({}, { limit: 100_000 }).map((m) => m.subject));
    const missing = traffic.ledger.filter((s) => !stored.has(s));
    expect(traffic.ledger.length).toBeGreaterThanOrEqual(40);
    expect(missing).toEqual([]);
    expect(stored.has('after the kill')).toBe(true);
    // And the survivor has them too (applied from the log as they were committed).
    const res = await fetch(`http://127.0.0.1:${b.ports.http}/api/v1/messages?limit=1000`);
    const listed = new Set(((await res.json()) as { messages: Array<{ subject: string }> }).messages.map((m) => m.subject));
    expect(traffic.ledger.filter((s) => !listed.has(s))).toEqual([]);
  });

  it('a fault rule answered 201 by a node killed with SIGKILL right after is kept: a node started later replays it and it fires', async () => {
    const tenant = 'fault-kill';
    const a = await cliNode(tenant);
    const res = await fetch(`http://127.0.0.1:${a.ports.http}/api/v1/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Try again later', times: 1 }),
    });
    expect(res.status).toBe(201);
    const rule = (await res.json()) as { id: string };
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    const b = await node(tenant);
    expect(b.store.faults.get(rule.id)).toMatchObject({ hits: 0, spent: false });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: b.ports.smtp!, secure: false, ignoreTLS: true });
    const refused = await transport.sendMail({ from: 'x@example.test', to: 'y@example.test', subject: 'greylisted', text: 'x' }).catch((err: { responseCode?: number }) => err);
    transport.close();
    expect((refused as { responseCode?: number }).responseCode).toBe(451);
    expect(b.store.faults.get(rule.id)).toMatchObject({ hits: 1, spent: true });
  });

  it('a node killed while a POP3 session holds a maildrop releases the lock: another node gets it', async () => {
    const tenant = 'pop3-kill';
    const a = await cliNode(tenant);
    const b = await createSandbox({ databaseUrl: url, tenant, smtps: { port: false }, pop3s: { port: false }, imaps: { port: false }, submission: { port: false }, logLevel: 'silent' });
    sandboxes.push(b);
    await b.deliver('Subject: held\r\n\r\nbody\r\n', { to: 'dana@example.test' });
    const login = async (port: number) => {
      const { client } = await rawConnect(port);
      client.sendLine('USER dana@example.test');
      await client.readLine();
      client.sendLine('PASS x');
      return { client, reply: await client.readLine() };
    };
    const holder = await login(a.ports.pop3!);
    expect(holder.reply).toMatch(/^\+OK/);
    const refused = await login(b.ports.pop3!);
    expect(refused.reply).toMatch(/^-ERR \[IN-USE\]/);
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    // The dead node's lock connection is gone; PostgreSQL releases its session locks once its backend sees the
    // connection closed (asynchronous to the node's exit): retry the login while it still answers IN-USE.
    let again = await login(b.ports.pop3!);
    for (let i = 0; i < 50 && /IN-USE/.test(again.reply ?? ''); i++) {
      again.client.sendLine('QUIT');
      again = await login(b.ports.pop3!);
    }
    expect(again.reply).toMatch(/^\+OK dana@example.test has 1 messages/);
    again.client.sendLine('QUIT');
    await again.client.readLine();
  });

  it('PostgreSQL restarting under load: 451 4.3.0 while it is away, /healthz 503, reconnects alone, no 250 without a commit', async () => {
    const tenant = 'restart';
    const a = await node(tenant);
    const health = async () => (await fetch(`${a.url}/healthz`)).status;
    expect(await health()).toBe(200);
    const traffic = load(a.ports.smtp!, 'restart', 4);
    await traffic.until(20);
    await cluster.stop();
    // The listener's connection was cut by the shutdown: readiness drops (checked until it does, no timer).
    for (let i = 0; i < 200 && (await health()) !== 503; i++) await new Promise((r) => setImmediate(r));
    expect(await health()).toBe(503);
    // A transaction now gets a clean temporary refusal.
    const raw = await RawSmtpClient.connect(a.ports.smtp!);
    await raw.hello();
    await raw.command('MAIL FROM:<x@example.test>');
    await raw.command('RCPT TO:<ledger@example.test>');
    await raw.command('DATA');
    const refused = await raw.command('Subject: while away\r\n\r\nbody\r\n.');
    expect(refused).toMatch(/^451 4\.3\.0 /);
    raw.end();
    const ledgerAtStop = traffic.ledger.length;
    await cluster.start();
    // The node reconnects by itself (listener backoff up to 2 s); mail flows again.
    for (let i = 0; i < 10_000 && (await health()) !== 200; i++) await new Promise((r) => setImmediate(r));
    expect(await health()).toBe(200);
    await traffic.until(ledgerAtStop + 20);
    await traffic.stop();
    expect(traffic.refusals.every((r) => /^451 4\.3\.0 /.test(r))).toBe(true);
    const b = await node(tenant);
    const stored = new Set(b.messages({}, { limit: 100_000 }).map((m) => m.subject));
    expect(traffic.ledger.filter((s) => !stored.has(s))).toEqual([]);
    expect(stored.has('while away')).toBe(false);
  });
});
