import { readFileSync } from 'node:fs';
import { Dispatcher } from '../../src/imap/dispatcher.js';
import { ImapSession } from '../../src/imap/session.js';
import { MessageCache } from '../../src/imap/message-cache.js';
import type { ServerContext } from '../../src/shared/server-context.js';
import { duplexPair, LineClient } from './pop3-harness.js';

export { createTestContext } from './pop3-harness.js';

/** An IMAP session on one end of an in-memory pair (no sockets, no TLS) and a line client on the other. */
export function openImapSession(ctx: ServerContext): { session: ImapSession; client: LineClient } {
  const [serverEnd, clientEnd] = duplexPair();
  const session = new ImapSession(ctx, serverEnd, { isTls: false, cache: new MessageCache() });
  new Dispatcher(session, ctx).start();
  return { session, client: new LineClient(clientEnd) };
}

export type ImapStep =
  | { dir: 'C'; text: string }
  | { dir: 'S'; text: string; pattern?: RegExp }
  /** `!: deliver <subject>` or `!: delete <subject>`: a change made by someone else (SMTP, the API). */
  | { dir: '!'; action: 'deliver' | 'delete'; arg: string };

/**
 * `fixtures/transcripts/imap/<name>.txt`: `C:` lines are sent as written (plus CRLF), each `S:` line must match
 * the next server line exactly or, written `/.../`, as a regex; `!:` lines act on the store; `#` comments.
 */
export function loadImapTranscript(name: string): ImapStep[] {
  const text = readFileSync(new URL(`../../fixtures/transcripts/imap/${name}.txt`, import.meta.url), 'utf8');
  const steps: ImapStep[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([CS!]): ?(.*)$/.exec(line.replace(/\r$/, ''));
    if (!m) throw new Error(`bad transcript line: ${line}`);
    const [, dir, body] = m;
    if (dir === '!') {
      const [action, ...rest] = body.split(' ');
      if (action !== 'deliver' && action !== 'delete') throw new Error(`unknown action ${action}`);
      steps.push({ dir: '!', action, arg: rest.join(' ') });
    } else if (dir === 'S' && body.length > 1 && body.startsWith('/') && body.endsWith('/')) {
      steps.push({ dir: 'S', text: body, pattern: new RegExp(body.slice(1, -1)) });
    } else steps.push({ dir: dir as 'C' | 'S', text: body });
  }
  return steps;
}

/** Plays a transcript; returns every mismatch (empty when the server said exactly what the fixture says). */
export async function playImapTranscript(ctx: ServerContext, client: LineClient, user: string, steps: readonly ImapStep[]): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, step] of steps.entries()) {
    if (step.dir === 'C') client.sendLine(step.text);
    else if (step.dir === '!') act(ctx, user, step.action, step.arg);
    else {
      const got = await client.readLine();
      const ok = got !== null && (step.pattern ? step.pattern.test(got) : got === step.text);
      if (!ok) problems.push(`step ${i + 1}: expected ${step.pattern ? String(step.pattern) : JSON.stringify(step.text)}, got ${JSON.stringify(got)}`);
    }
  }
  return problems;
}

function act(ctx: ServerContext, user: string, action: 'deliver' | 'delete', subject: string): void {
  if (action === 'deliver') {
    ctx.store.deliver({ raw: Buffer.from(`Subject: ${subject}\r\n\r\n${subject}\r\n`), envelope: { mailFrom: '', rcptTo: [user] }, source: 'smtp' });
    return;
  }
  const folder = ctx.store.getFolder(user, 'INBOX');
  const p = folder?.placements.find((x) => x.message.summary.subject === subject);
  if (!p) throw new Error(`no message ${subject} to delete`);
  ctx.store.deleteMessage(p.message.id);
}

/** RFC 3501 §8's sample message, adapted: the one the example session fetches as message 2. */
export const rfcMessage = Buffer.from(
  [
    'Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
    'From: Terry Gray <gray@cac.washington.edu>',
    'Subject: IMAP4rev1 WG mtg summary and minutes',
    'To: imap@cac.washington.edu',
    'cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>',
    'Message-Id: <B27397-0100000@cac.washington.edu>',
    'MIME-Version: 1.0',
    'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
    '',
    'Hello Joe, do you think we can meet at 3:30 tomorrow?',
    '',
  ].join('\r\n'),
);

/** mrc@example.test: `one` (\Seen), the RFC message (\Seen), `three` (unseen). */
export function seedMrc(ctx: ServerContext): void {
  const put = (raw: Buffer, flags: string[], internalDate?: Date) =>
    ctx.store.deliver({ raw, envelope: { mailFrom: '', rcptTo: ['mrc@example.test'] }, source: 'api', targets: [{ mailbox: 'mrc@example.test', flags, internalDate }] });
  put(Buffer.from('Subject: one\r\n\r\nfirst\r\n'), ['\\Seen']);
  put(rfcMessage, ['\\Seen'], new Date('1996-07-17T02:44:25-07:00'));
  put(Buffer.from('Subject: three\r\n\r\nthird\r\n'), []);
}
