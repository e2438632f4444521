import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createSandbox, type Sandbox } from '../../src/index.js';
import { apiJson, httpSandbox } from './http-helpers.js';

const greylist = { protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Greylisted', times: 1, per: 'sender+recipient' };

describe('REST /api/v1/faults', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await httpSandbox({ smtp: { port: 0 } });
  });
  afterAll(() => sandbox.close());
  afterEach(() => sandbox.faults.clear());

  const post = (body: unknown) => apiJson(sandbox, '/api/v1/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('adds a rule: 201 with the bare rule, its id and hits 0', async () => {
    const { status, body } = await post(greylist);
    expect(status).toBe(201);
    expect(body).toMatchObject({ ...greylist, hits: 0, spent: false });
    expect(body.id).toMatch(/^f-/);
    const list = await apiJson(sandbox, '/api/v1/faults');
    expect(list.body.faults.map((f: { id: string }) => f.id)).toEqual([body.id]);
    expect((await apiJson(sandbox, `/api/v1/faults/${body.id}`)).body.id).toBe(body.id);
  });

  it('answers 400 naming the field for a bad rule, and adds nothing', async () => {
    const { status, body } = await post({ ...greylist, probability: 2 });
    expect(status).toBe(400);
    expect(body.error.message).toContain('probability');
    expect(body.field).toBe('probability');
    const unknownOn = await post({ ...greylist, on: 'FETCH' });
    expect(unknownOn.body.field).toBe('on');
    expect((await apiJson(sandbox, '/api/v1/faults')).body.faults).toEqual([]);
  });

  it('removes one rule and then all, with 404 for an unknown id', async () => {
    const a = (await post(greylist)).body;
    await post({ ...greylist, on: 'mail' });
    expect((await apiJson(sandbox, `/api/v1/faults/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await apiJson(sandbox, `/api/v1/faults/${a.id}`)).status).toBe(404);
    expect((await apiJson(sandbox, `/api/v1/faults/${a.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await apiJson(sandbox, '/api/v1/faults', { method: 'DELETE' })).body).toEqual({ deleted: 1 });
  });

  it('keeps a spent rule listed with spent: true and its hits', async () => {
    const { body } = await post({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '450 4.2.0 busy', times: 1 });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp as number, ignoreTLS: true });
    await transport.sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' }).catch(() => undefined);
    await transport.sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' });
    const now = (await apiJson(sandbox, `/api/v1/faults/${body.id}`)).body;
    expect(now).toMatchObject({ hits: 1, spent: true });
    transport.close();
  });

  it('sends fault.hit on the WebSocket with ruleId, protocol, on and sessionId', async () => {
    const { body } = await post({ protocol: 'smtp', on: 'ehlo', action: 'reply', reply: '554 5.7.1 no' });
    const ws = new WebSocket(`${(sandbox.url as string).replace('http', 'ws')}/api/v1/events`);
    const frames: Array<{ type: string; data: Record<string, unknown> }> = [];
    const hit = new Promise<Record<string, unknown>>((resolve) => {
      ws.on('message', (d) => {
        const frame = JSON.parse(d.toString()) as { type: string; data: Record<string, unknown> };
        frames.push(frame);
        if (frame.type === 'fault.hit') resolve(frame.data);
      });
    });
    await once(ws, 'open');
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp as number, ignoreTLS: true });
    await transport.sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' }).catch(() => undefined);
    const data = await hit;
    expect(data).toMatchObject({ ruleId: body.id, protocol: 'smtp', on: 'ehlo' });
    expect(String(data.sessionId)).toMatch(/^smtp-/);
    ws.close();
    transport.close();
  });

  it('renews a folder UIDVALIDITY over REST: 200 with the new value, 404 for an unknown folder', async () => {
    await sandbox.deliver('Subject: x\r\n\r\nx\r\n', { to: 'ann@example.test' });
    const before = sandbox.store.getFolder('ann@example.test', 'INBOX')?.uidValidity as number;
    const { status, body } = await apiJson(sandbox, '/api/v1/mailboxes/ann%40example.test/folders/INBOX/uidvalidity', { method: 'POST' });
    expect(status).toBe(200);
    expect(body.uidValidity).toBeGreaterThan(before);
    expect(body.uidNext).toBe(2);
    expect((await apiJson(sandbox, '/api/v1/mailboxes/ann%40example.test/folders/Nope/uidvalidity', { method: 'POST' })).status).toBe(404);
  });
});

describe('faults through createClient', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await httpSandbox({ smtp: { port: 0 } });
  });
  afterAll(() => sandbox.close());

  it('adds a rule, reads its hits after refresh(), removes it, and reports a bad field', async () => {
    const client = createClient(sandbox.url as string);
    const rule = await client.faults.add({ protocol: 'smtp', on: 'mail', action: 'reply', reply: '451 4.3.0 later', times: 1 });
    expect(rule.hits).toBe(0);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp as number, ignoreTLS: true });
    await transport.sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' }).catch(() => undefined);
    await rule.refresh();
    expect(rule.hits).toBe(1);
    expect(rule.spent).toBe(true);
    expect(await rule.remove()).toBe(true);
    expect(await client.faults.list()).toEqual([]);
    await expect(client.faults.add({ protocol: 'smtp', on: 'mail', action: 'reply', reply: 'nope' })).rejects.toThrow(/reply/);
    await client.faults.add(greylist as never);
    expect(await client.faults.clear()).toBe(1);
    transport.close();
  });
});

describe('--faults FILE and --smtp-extensions on the CLI', () => {
  const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
  const allZero = ['--smtp-port', '0', '--submission-port', '0', '--smtps-port', '0', '--pop3-port', '0', '--pop3s-port', '0', '--imap-port', '0', '--imaps-port', '0', '--http-port', '0'];

  it('loads the rules of the file at start, with the separate-argument extension form', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faults-'));
    const file = join(dir, 'faults.json');
    await writeFile(file, JSON.stringify([greylist, { protocol: 'imap', on: 'FETCH', action: 'reply', reply: 'NO [UNAVAILABLE] x', times: 1 }]));
    const child = spawn(process.execPath, [cliPath, ...allZero, '--faults', file, '--smtp-extensions', '-PIPELINING,+DSN', '--log-level', 'silent']);
    const ready = await new Promise<{ ui: string }>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
    });
    const faults = await createClient(ready.ui).faults.list();
    expect(faults.map((f) => `${f.protocol}:${f.on}`)).toEqual(['smtp:rcpt', 'imap:FETCH']);
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  it('refuses to start with a bad rule in the file, naming the rule and the field (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faults-'));
    const file = join(dir, 'faults.json');
    await writeFile(file, JSON.stringify([greylist, { ...greylist, times: -1 }]));
    const child = spawn(process.execPath, [cliPath, ...allZero, `--faults=${file}`, '--smtp-extensions=-NOPE']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('--smtp-extensions: unknown extension "-NOPE"');
    const again = spawn(process.execPath, [cliPath, ...allZero, `--faults=${file}`]);
    let stderr2 = '';
    again.stderr.on('data', (d: Buffer) => (stderr2 += d.toString()));
    const [code2] = await once(again, 'exit');
    expect(code2).toBe(2);
    expect(stderr2).toMatch(/rule 1: times: must be a whole number/);
  });

  it('loads rules given to createSandbox({ faults })', async () => {
    const sandbox = await createSandbox({ faults: [greylist], http: { port: false }, pop3: { port: false }, pop3s: { port: false }, imap: { port: false }, imaps: { port: false }, smtps: { port: false }, logLevel: 'silent' });
    expect((await sandbox.faults.list()).map((f) => f.on)).toEqual(['rcpt']);
    await sandbox.close();
  });
});
