import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import Pop3Command from 'node-pop3';
import type { Sandbox } from '../../src/index.js';
import { pop3Sandbox, unstuff } from './pop3-helpers.js';

describe('POP3 and the other protocols share one store', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await pop3Sandbox({ smtp: { port: 0 } });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('sends over SMTP, reads and deletes over POP3, and the API no longer has it', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp as number, secure: false, tls: { rejectUnauthorized: false } });
    const arrived = sandbox.waitForMessage({ to: 'dora@example.test' }, { timeout: 10_000 });
    await transport.sendMail({
      from: 'app@example.test',
      to: 'dora@example.test',
      bcc: 'audit@example.test',
      subject: 'Your code',
      text: 'Code: 123456\n.\n.a line with a leading dot\n',
    });
    const message = await arrived;
    const pop3 = new Pop3Command({ user: 'Dora@Example.test', password: 'x', host: '127.0.0.1', port: sandbox.ports.pop3 as number });
    expect(await pop3.STAT()).toBe(`1 ${message.raw.length}`);
    const wire = await pop3.RETR(1);
    // node-pop3 cuts the CRLF before the terminator together with it.
    expect(Buffer.from(unstuff(wire) + '\r\n').equals(message.raw)).toBe(true);
    await pop3.DELE(1);
    await pop3.QUIT();
    // The Bcc recipient still holds it: the message stays, in that mailbox only.
    expect(sandbox.messages()[0].mailboxes).toEqual(['audit@example.test']);
    const audit = new Pop3Command({ user: 'audit@example.test', password: 'x', host: '127.0.0.1', port: sandbox.ports.pop3 as number });
    await audit.DELE(1);
    await audit.QUIT();
    expect(sandbox.store.get(message.id)).toBeUndefined();
    expect(sandbox.messages()).toEqual([]);
    transport.close();
  });

  it('removes a message deleted over POP3 from the REST API and the session list shows the POP3 session', async () => {
    const web = await pop3Sandbox({ http: { port: 0 } });
    try {
      const summary = await web.deliver('Subject: via http\n\nbody\n', { to: 'hank@example.test' });
      const get = (path: string) => fetch(`${web.url}${path}`);
      expect((await get(`/api/v1/messages/${summary.id}`)).status).toBe(200);
      const pop3 = new Pop3Command({ user: 'hank@example.test', password: 'x', host: '127.0.0.1', port: web.ports.pop3 as number });
      await pop3.DELE(1);
      await pop3.QUIT();
      expect((await get(`/api/v1/messages/${summary.id}`)).status).toBe(404);
      const sessions = (await (await get('/api/v1/sessions?protocol=pop3')).json()) as unknown;
      expect(JSON.stringify(sessions)).toContain('hank@example.test');
    } finally {
      await web.close();
    }
  });

  it('emits store events for a committed POP3 deletion', async () => {
    const summary = await sandbox.deliver('Subject: evented\n\nbody\n', { to: 'eve@example.test' });
    const removed: number[] = [];
    const deleted: string[] = [];
    const offRemoved = sandbox.store.on('placement.removed', (p) => removed.push(p.uid));
    const offDeleted = sandbox.store.on('message.deleted', (m, reason) => deleted.push(`${m.id}:${reason}`));
    const pop3 = new Pop3Command({ user: 'eve@example.test', password: 'x', host: '127.0.0.1', port: sandbox.ports.pop3 as number });
    await pop3.DELE(1);
    expect(removed).toEqual([]);
    await pop3.QUIT();
    expect(removed).toEqual([1]);
    expect(deleted).toEqual([`${summary.id}:expunged`]);
    offRemoved();
    offDeleted();
  });

  it('marks a message read in the API once a POP3 session RETRs it and QUITs', async () => {
    const summary = await sandbox.deliver('Subject: read me\n\nbody\n', { to: 'rita@example.test' });
    const pop3 = new Pop3Command({ user: 'rita@example.test', password: 'x', host: '127.0.0.1', port: sandbox.ports.pop3 as number });
    await pop3.RETR(1);
    expect(sandbox.messages()[0].seen).toBe(false);
    await pop3.QUIT();
    expect(sandbox.messages().find((m) => m.id === summary.id)?.seen).toBe(true);
  });

  it('creates the mailbox on first login', async () => {
    const pop3 = new Pop3Command({ user: 'New.User@Example.test', password: 'x', host: '127.0.0.1', port: sandbox.ports.pop3 as number });
    expect(await pop3.STAT()).toBe('0 0');
    await pop3.QUIT();
    expect(sandbox.store.getMailbox('new.user@example.test')).toBeDefined();
  });
});
