import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import nodemailer from 'nodemailer';
import type { Sandbox } from '../../src/index.js';
import { imapSandbox } from '../protocol/imap-helpers.js';

/**
 * SORT, THREAD and SEARCH answers are kept per selected folder until its message list changes (a speed-up for
 * clients that repeat them). These tests make sure a kept answer never outlives a change: one Python imaplib session
 * stays selected while mail arrives over SMTP, is deleted over REST, and is flagged and expunged over IMAP; after each
 * change the next SORT/THREAD/SEARCH must give the new answer.
 */
const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
if (!python && process.env.CI) throw new Error('CI is set but python3 is missing');

const user = 'cache@example.test';
let sandbox: Sandbox;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => {});
  await sandbox?.close();
});

/** One imaplib session that runs the steps it is sent (one JSON line each) and answers each with one JSON line. */
const driver = `
import imaplib, json, os, sys
m = imaplib.IMAP4('127.0.0.1', int(os.environ['PORT']))
m.login(os.environ['IMAP_USER'], 'pw')
m.select('INBOX')
print(json.dumps('ready'), flush=True)
for line in sys.stdin:
    step = json.loads(line)
    op, args = step[0], step[1:]
    if op == 'sort':
        typ, data = m.sort(args[0], 'UTF-8', *args[1:])
    elif op == 'uidsort':
        typ, data = m.uid('SORT', args[0], 'UTF-8', *args[1:])
    elif op == 'thread':
        typ, data = m.thread(args[0], 'UTF-8', *args[1:])
    elif op == 'search':
        typ, data = m.search(None, *args)
    elif op == 'store':
        typ, data = m.store(args[0], args[1], args[2])
    elif op == 'expunge':
        typ, data = m.expunge()
    elif op == 'noop':
        typ, data = m.noop()
    assert typ == 'OK', (typ, data)
    print(json.dumps(data[0].decode() if data and data[0] is not None else ''), flush=True)
`;

interface Session {
  step(...args: string[]): Promise<string>;
}

async function imaplibSession(): Promise<Session> {
  const child: ChildProcessWithoutNullStreams = spawn(python!, ['-c', driver], { env: { ...process.env, PORT: String(sandbox.ports.imap), IMAP_USER: user } });
  cleanups.push(() => child.kill());
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`imaplib driver ended: ${stderr}`);
    return JSON.parse(value as string) as string;
  };
  expect(await next()).toBe('ready');
  return {
    step(...args) {
      child.stdin.write(JSON.stringify(args) + '\n');
      return next();
    },
  };
}

function raw(subject: string, id: string, extra = ''): Buffer {
  return Buffer.from(`From: a@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${id}@x>\r\n${extra}Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\nbody\r\n`);
}

describe.skipIf(!python)('kept SORT/THREAD/SEARCH answers with Python imaplib', () => {
  it('gives the new order after an SMTP delivery, a REST delete, a STORE and an EXPUNGE', async () => {
    sandbox = await imapSandbox({ smtp: { port: 0 }, http: { port: 0 } });
    const ids: string[] = [];
    // Arrival an hour apart, in the past: ARRIVAL has no ties, and the SMTP message below arrives last.
    const base = Date.now() - 10 * 3600_000;
    for (const [n, [subject, id]] of [['Delta', 'd'], ['Bravo', 'b'], ['Charlie', 'c']].entries()) {
      const stored = sandbox.store.deliver({ raw: raw(subject, id), envelope: { mailFrom: '', rcptTo: [user] }, source: 'api', targets: [{ mailbox: user, internalDate: new Date(base + n * 3600_000) }] });
      ids.push(stored.id);
    }
    const py = await imaplibSession();
    expect(await py.step('sort', '(SUBJECT)', 'ALL')).toBe('2 3 1');
    expect(await py.step('sort', '(SUBJECT)', 'ALL')).toBe('2 3 1');
    expect(await py.step('sort', '(REVERSE ARRIVAL)', 'ALL')).toBe('3 2 1');
    expect(await py.step('search', 'SUBJECT', 'a')).toBe('1 2 3');

    // A new message over SMTP: once the session was told (EXISTS), it is in every answer.
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp as number, secure: false, tls: { rejectUnauthorized: false } });
    cleanups.push(() => transport.close());
    const arrived = sandbox.waitForMessage({ subject: 'Alpha' }, { timeout: 10_000 });
    await transport.sendMail({ from: 'a@example.test', to: user, subject: 'Alpha', text: 'hi' });
    await arrived;
    await py.step('noop');
    expect(await py.step('sort', '(SUBJECT)', 'ALL')).toBe('4 2 3 1');
    expect(await py.step('sort', '(REVERSE ARRIVAL)', 'ALL')).toBe('4 3 2 1');
    expect(await py.step('search', 'SUBJECT', 'a')).toBe('1 2 3 4');

    // A REST delete: after the EXPUNGE, the numbers that follow it move down.
    expect((await fetch(`${sandbox.url}/api/v1/messages/${ids[1]}`, { method: 'DELETE' })).status).toBe(204);
    await py.step('noop');
    expect(await py.step('sort', '(SUBJECT)', 'ALL')).toBe('3 2 1');
    expect(await py.step('uidsort', '(SUBJECT)', 'ALL')).toBe('4 3 1');
    expect(await py.step('search', 'SUBJECT', 'a')).toBe('1 2 3');

    // A STORE changes what a flag search finds (such answers are never kept).
    expect(await py.step('sort', '(SUBJECT)', 'UNSEEN')).toBe('3 2 1');
    await py.step('store', '3', '+FLAGS', '(\\Seen)');
    expect(await py.step('sort', '(SUBJECT)', 'UNSEEN')).toBe('2 1');
    expect(await py.step('sort', '(SUBJECT)', 'SEEN')).toBe('3');

    // STORE \\Deleted + EXPUNGE over IMAP.
    await py.step('store', '1', '+FLAGS', '(\\Deleted)');
    await py.step('expunge');
    expect(await py.step('sort', '(SUBJECT)', 'ALL')).toBe('2 1');
    expect(await py.step('sort', '(REVERSE ARRIVAL)', 'ALL')).toBe('2 1');
    expect(await py.step('search', 'SUBJECT', 'a')).toBe('1 2');
  });

  it('threads a reply that arrives after the first THREAD, and drops a deleted one', async () => {
    sandbox = await imapSandbox({ http: { port: 0 } });
    await sandbox.deliver(raw('Plans', 'p1'), { to: user });
    await sandbox.deliver(raw('Other', 'o1'), { to: user });
    const py = await imaplibSession();
    expect(await py.step('thread', 'REFERENCES', 'ALL')).toBe('(1)(2)');
    expect(await py.step('thread', 'REFERENCES', 'ALL')).toBe('(1)(2)');
    expect(await py.step('thread', 'ORDEREDSUBJECT', 'ALL')).toBe('(1)(2)');

    const reply = await sandbox.deliver(raw('Re: Plans', 'p2', 'References: <p1@x>\r\n'), { to: user });
    await py.step('noop');
    expect(await py.step('thread', 'REFERENCES', 'ALL')).toBe('(1 3)(2)');
    expect(await py.step('thread', 'ORDEREDSUBJECT', 'ALL')).toBe('(1 3)(2)');

    expect((await fetch(`${sandbox.url}/api/v1/messages/${reply.id}`, { method: 'DELETE' })).status).toBe(204);
    await py.step('noop');
    expect(await py.step('thread', 'REFERENCES', 'ALL')).toBe('(1)(2)');
  });
});
