import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import type { FaultRule } from '../../src/index.js';
import { durableCli, type RunningCli } from './durable-cli.js';

/**
 * Fault rules kept by the durable store (issue #14): the CLI with `--data-dir`, rules added over REST, stopped with
 * SIGTERM or killed with SIGKILL, started again: the rules are there with their hits, and still fire on SMTP.
 */
const { tempDir, startCli, stop } = durableCli('mailsandbox-durable-faults-');
type Running = RunningCli;

async function addRule(r: Running, rule: object): Promise<FaultRule> {
  const res = await fetch(`${r.url}/api/v1/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
  expect(res.status).toBe(201);
  return (await res.json()) as FaultRule;
}

async function listRules(r: Running): Promise<FaultRule[]> {
  return ((await (await fetch(`${r.url}/api/v1/faults`)).json()) as { faults: FaultRule[] }).faults;
}

/** Sends one message with nodemailer; resolves with the SMTP reply code (250, or the refusal's). */
async function send(r: Running, to: string): Promise<number> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: r.ports.smtp, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail({ from: 'app@example.test', to, subject: 'durable faults', text: 'x' });
    return Number(info.response.slice(0, 3));
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    if (!code) throw err;
    return code;
  } finally {
    transport.close();
  }
}

const reject = { protocol: 'smtp', on: 'rcpt', match: { to: 'blocked@' }, action: 'reply', reply: '550 5.1.1 No such user here' };

describe('fault rules in the durable store (--data-dir)', () => {
  it('keeps a rule and its hits across a SIGTERM restart: GET lists it, and it still fires on an SMTP RCPT', async () => {
    const dir = tempDir();
    let r = await startCli(dir);
    const rule = await addRule(r, reject);
    expect(await send(r, 'blocked@example.test')).toBe(550);
    expect(await send(r, 'fine@example.test')).toBe(250);
    expect((await listRules(r)).map((f) => [f.id, f.hits])).toEqual([[rule.id, 1]]);
    await stop(r, 'SIGTERM');

    r = await startCli(dir);
    expect(await listRules(r)).toEqual([{ ...rule, hits: 1 }]);
    expect(await send(r, 'blocked@example.test')).toBe(550);
    expect((await listRules(r)).map((f) => [f.id, f.hits])).toEqual([[rule.id, 2]]);
    // Removed, it stays removed after the next restart.
    expect((await fetch(`${r.url}/api/v1/faults/${rule.id}`, { method: 'DELETE' })).status).toBe(204);
    await stop(r, 'SIGTERM');
    r = await startCli(dir);
    expect(await listRules(r)).toEqual([]);
    expect(await send(r, 'blocked@example.test')).toBe(250);
    await stop(r, 'SIGTERM');
  }, 120_000);

  it('keeps a rule killed with SIGKILL right after its 201, and a hit killed right after its refusal', async () => {
    const dir = tempDir();
    let r = await startCli(dir);
    const rule = await addRule(r, { ...reject, times: 2 });
    await stop(r, 'SIGKILL');

    r = await startCli(dir);
    expect((await listRules(r)).map((f) => [f.id, f.hits, f.spent])).toEqual([[rule.id, 0, false]]);
    expect(await send(r, 'blocked@example.test')).toBe(550);
    await stop(r, 'SIGKILL');

    r = await startCli(dir);
    expect((await listRules(r)).map((f) => [f.id, f.hits, f.spent])).toEqual([[rule.id, 1, false]]);
    expect(await send(r, 'blocked@example.test')).toBe(550);
    // `times: 2` used up: spent, and a third attempt passes, also after a restart.
    expect((await listRules(r)).map((f) => [f.hits, f.spent])).toEqual([[2, true]]);
    await stop(r, 'SIGKILL');
    r = await startCli(dir);
    expect((await listRules(r)).map((f) => [f.hits, f.spent])).toEqual([[2, true]]);
    expect(await send(r, 'blocked@example.test')).toBe(250);
    await stop(r, 'SIGTERM');
  }, 120_000);

  it('restarting with the same --faults FILE keeps one copy of each rule with its hits; an edited file replaces what the old one loaded', async () => {
    const dir = tempDir();
    const file = join(dir, 'faults.json');
    writeFileSync(file, JSON.stringify([reject]));
    let r = await startCli(dir, ['--faults', file]);
    const fromApi = await addRule(r, { protocol: 'smtp', on: 'mail', match: { from: 'never@' }, action: 'reply', reply: '451 4.7.1 later' });
    const [loaded] = (await listRules(r)).filter((f) => f.loadedAtStart);
    expect(await send(r, 'blocked@example.test')).toBe(550);
    await stop(r, 'SIGTERM');

    r = await startCli(dir, ['--faults', file]);
    expect((await listRules(r)).map((f) => [f.id, f.hits])).toEqual([
      [loaded.id, 1],
      [fromApi.id, 0],
    ]);
    await stop(r, 'SIGTERM');

    writeFileSync(file, JSON.stringify([{ ...reject, match: { to: 'other@' } }]));
    r = await startCli(dir, ['--faults', file]);
    const now = await listRules(r);
    expect(now.map((f) => f.id)).toEqual([fromApi.id, expect.not.stringMatching(loaded.id)]);
    expect(now[1]).toMatchObject({ match: { to: 'other@' }, hits: 0, loadedAtStart: true });
    expect(await send(r, 'blocked@example.test')).toBe(250);
    expect(await send(r, 'other@example.test')).toBe(550);
    await stop(r, 'SIGTERM');
  }, 120_000);
});
