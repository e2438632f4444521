import { afterEach, describe, expect, it } from 'vitest';
import { createTransport } from 'nodemailer';
import { createSandbox, type Sandbox } from '../../src/index.js';
import { eml } from './imap-helpers.js';
import { RawImap } from './imap-raw-client.js';
import { rawConnect } from './pop3-helpers.js';

/**
 * What a syncing client knows of a folder: UIDs by sequence number, learnt only from untagged responses
 * (EXISTS adds unknown slots, EXPUNGE removes one, FETCH names a UID). Every response is checked as it is
 * applied, the way a strict client would: no EXPUNGE under FETCH/STORE/SEARCH, no FETCH beyond EXISTS, no
 * sequence number that changes its UID.
 */
class ClientModel {
  uids: Array<number | null> = [];

  apply(reply: string, command = ''): void {
    const forbidsExpunge = /^(FETCH|STORE|SEARCH|COPY)\b/i.test(command);
    for (const line of reply.split('\r\n')) {
      const m = /^\* (\d+) (EXISTS|EXPUNGE|FETCH)(.*)$/.exec(line);
      if (!m) continue;
      const n = Number(m[1]);
      if (m[2] === 'EXISTS') {
        expect(n, line).toBeGreaterThanOrEqual(this.uids.length);
        while (this.uids.length < n) this.uids.push(null);
      } else if (m[2] === 'EXPUNGE') {
        expect(forbidsExpunge, `${line} during ${command}`).toBe(false);
        expect(n, line).toBeLessThanOrEqual(this.uids.length);
        this.uids.splice(n - 1, 1);
      } else {
        expect(n, `${line} beyond EXISTS ${this.uids.length}`).toBeLessThanOrEqual(this.uids.length);
        const uid = /UID (\d+)/.exec(m[3]);
        if (!uid) continue;
        if (this.uids[n - 1] === null) this.uids[n - 1] = Number(uid[1]);
        expect(this.uids[n - 1], line).toBe(Number(uid[1]));
      }
    }
  }
}

let sandbox: Sandbox;
const clients: RawImap[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end();
  await sandbox?.close();
});

async function openFolder(user: string): Promise<{ c: RawImap; model: ClientModel; run: (tag: string, line: string) => Promise<string> }> {
  const c = await RawImap.connect(sandbox.ports.imap!);
  clients.push(c);
  const model = new ClientModel();
  const run = async (tag: string, line: string): Promise<string> => {
    const reply = await c.command(tag, line);
    expect(reply).toMatch(new RegExp(`^${tag} OK`, 'm'));
    model.apply(reply, line);
    return reply;
  };
  await run('L', `LOGIN ${user} x`);
  await run('S', 'SELECT INBOX');
  await run('U', 'UID FETCH 1:* (UID)');
  return { c, model, run };
}

describe('one folder, two IMAP clients, SMTP, the REST API and POP3 at once', () => {
  it('keeps both clients\' sequence numbers consistent, with IDLE told of every change as it happens', async () => {
    sandbox = await createSandbox({ smtp: { port: 0 }, smtps: { port: false }, pop3: { port: 0 }, pop3s: { port: false }, imap: { port: 0 }, imaps: { port: false }, http: { port: 0 }, logLevel: 'silent' });
    const user = 'sync@example.test';
    const seeded = [];
    for (const s of ['s1', 's2', 's3', 's4', 's5', 's6']) seeded.push(await sandbox.deliver(eml(s), { to: user }));
    const a = await openFolder(user);
    const b = await openFolder(user);
    b.c.write('I IDLE\r\n');
    let pushed = await b.c.until(/^\+ .*\r\n/m);

    // SMTP delivers: the idling client hears EXISTS before anyone asks.
    const smtp = createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, ignoreTLS: true });
    await smtp.sendMail({ from: 'ann@example.test', to: user, subject: 'over smtp', text: 'hi' });
    pushed += await b.c.until(/^\* 7 EXISTS\r\n/m);

    // The REST API deletes message 2 (s2): EXPUNGE at once for the idler, held back from A's FETCH.
    const deleted = await fetch(`${sandbox.url}/api/v1/messages/${seeded[1].id}`, { method: 'DELETE' });
    expect(deleted.status).toBeLessThan(300);
    pushed += await b.c.until(/^\* 2 EXPUNGE\r\n/m);
    await a.run('F1', 'FETCH 1:* (UID FLAGS)');

    // POP3 deletes s1 and s3 (its own snapshot numbering, without s2) and commits at QUIT.
    const pop = await rawConnect(sandbox.ports.pop3!);
    for (const cmd of [`USER ${user}`, 'PASS x', 'DELE 1', 'DELE 2', 'QUIT']) {
      pop.client.sendLine(cmd);
      expect(await pop.client.readLine()).toMatch(/^\+OK/);
    }
    pushed += await b.c.until(/^\* 1 EXPUNGE\r\n\* 1 EXPUNGE\r\n/m);

    // A catches up (NOOP may expunge), then expunges s4 itself.
    await a.run('N0', 'NOOP');
    await a.run('U2', 'UID FETCH 1:* (UID)');
    expect(a.model.uids).toEqual([4, 5, 6, 7]);
    await a.run('T', 'STORE 1 +FLAGS (\\Deleted)');
    await a.run('F2', 'SEARCH DELETED');
    await a.run('X', 'EXPUNGE');
    pushed += await b.c.until(/^\* 1 EXPUNGE\r\n/m);
    b.c.write('DONE\r\n');
    pushed += await b.c.until(/^I OK[^\r]*\r\n/m);
    b.model.apply(pushed, 'IDLE');

    const inbox = sandbox.store.getFolder(user, 'INBOX')!.placements.map((p) => p.uid);
    expect(inbox).toEqual([5, 6, 7]);
    for (const client of [a, b]) {
      await client.run('N', 'NOOP');
      await client.run('V', 'UID FETCH 1:* (UID)');
      expect(client.model.uids).toEqual(inbox);
    }
  });
});

describe('one message through every protocol', () => {
  it('serves one nodemailer message with attachments as the same bytes and size over IMAP, POP3 and HTTP', async () => {
    sandbox = await createSandbox({ smtp: { port: 0 }, smtps: { port: false }, pop3: { port: 0 }, pop3s: { port: false }, imap: { port: 0 }, imaps: { port: false }, http: { port: 0 }, logLevel: 'silent' });
    const user = 'exact@example.test';
    const smtp = createTransport({ host: '127.0.0.1', port: sandbox.ports.smtp!, secure: false, ignoreTLS: true });
    const arrived = sandbox.waitForMessage({ to: user });
    await smtp.sendMail({
      from: '"Zoë" <zoe@example.test>',
      to: user,
      subject: 'Räksmörgås with parts',
      text: '.a line with a leading dot\n..and two',
      html: '<p>logo <img src="cid:logo@x"></p>',
      attachments: [
        { filename: 'logo.png', content: Buffer.from('89504e470d0a1a0a', 'hex'), cid: 'logo@x' },
        { filename: 'résumé.pdf', content: Buffer.alloc(3000, 7) },
      ],
      icalEvent: { method: 'REQUEST', content: 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n' },
    });
    const raw = (await arrived).raw;

    const imap = await openFolder(user);
    const fetched = await imap.run('F', 'FETCH 1 (RFC822.SIZE BODY.PEEK[])');
    const literal = /BODY\[\] \{(\d+)\}\r\n/.exec(fetched)!;
    const body = Buffer.from(fetched.slice(literal.index + literal[0].length, literal.index + literal[0].length + Number(literal[1])), 'latin1');
    expect(/RFC822\.SIZE (\d+)/.exec(fetched)?.[1]).toBe(String(raw.length));
    expect(body.equals(raw)).toBe(true);

    const pop = await rawConnect(sandbox.ports.pop3!);
    for (const cmd of [`USER ${user}`, 'PASS x']) {
      pop.client.sendLine(cmd);
      await pop.client.readLine();
    }
    pop.client.sendLine('LIST 1');
    expect(await pop.client.readLine()).toBe(`+OK 1 ${raw.length}`);
    pop.client.sendLine('RETR 1');
    expect(await pop.client.readLine()).toMatch(/^\+OK/);
    expect((await pop.client.readMultiline()).equals(raw)).toBe(true);
    pop.client.sendLine('QUIT');

    const id = sandbox.messages({ query: `to:${user}` })[0].id;
    const http = Buffer.from(await (await fetch(`${sandbox.url}/api/v1/messages/${id}/raw`)).arrayBuffer());
    expect(http.equals(raw)).toBe(true);
  });
});
