import { no, bad } from '../imap-error.js';
import { getMailbox, toDateTime, toFlag } from '../wire/args.js';
import type { Token } from '../wire/tokenizer.js';
import { authenticated, defineCommand, ok } from './define.js';
import { mailboxOf } from './folder-access.js';

/**
 * APPEND mailbox [flag-list] [date-time] literal — RFC 3501 §6.3.11, RFC 4315 APPENDUID, RFC 7888 LITERAL+.
 * The message goes through `store.deliver`, so the API, the UI feed and other sessions see it at once.
 */
export const append = defineCommand({
  names: ['APPEND'],
  states: authenticated,
  usesSequenceNumbers: false,
  takesMessageLiteral: true,
  parseArgs(args) {
    if (args.length < 2 || args.length > 4) throw bad('APPEND takes mailbox [flags] [date-time] message');
    const name = getMailbox(args, 0);
    const rest = args.slice(1, -1);
    const message = args[args.length - 1];
    let flags: string[] = [];
    let internalDate: Date | undefined;
    for (const t of rest) {
      if (t.type === 'list') flags = [...new Set(t.items.map(toFlag))];
      else internalDate = toDateTime(t);
    }
    if (rest.length === 2 && rest[0].type !== 'list') throw bad('Flags come before the date-time');
    return { name, flags, internalDate, raw: messageBytes(message) };
  },
  run(ctx, { name, flags, internalDate, raw }) {
    const { config, store } = ctx.server;
    if (raw.length > config.maxMessageSize) throw no(`Message over the limit of ${config.maxMessageSize} bytes`, 'TOOBIG');
    const mailbox = mailboxOf(ctx);
    const folder = mailbox.folders.get(name);
    if (!folder) throw no('No such folder; create it first', 'TRYCREATE');
    const session = ctx.session;
    const message = store.deliver(
      {
        raw,
        source: 'imap',
        envelope: { mailFrom: '', rcptTo: [mailbox.address] },
        targets: [{ mailbox: mailbox.address, folder: folder.name, flags, internalDate }],
        connection: { tls: session.isTls, authUser: session.user ?? undefined, remoteAddress: session.options.remoteAddress, sessionId: session.log.id },
      },
      session,
    );
    const placement = store.placementsOf(message).find((p) => p.folder === folder);
    // Retention may already have evicted it (a cap of 1 message); the APPEND still succeeded.
    return ok('APPEND completed', placement ? `APPENDUID ${folder.uidValidity} ${placement.uid}` : null);
  },
});

function messageBytes(t: Token): Buffer {
  // RFC 3501 §4.3 / RFC 9051 §4.3: a literal is CHAR8 — no NUL. Only a BINARY literal8 (not taken yet) may carry one.
  if (t.type === 'literal' && t.value.includes(0)) throw bad('The message has a NUL octet, which a literal may not carry (RFC 3501 §4.3)');
  if (t.type === 'literal' || t.type === 'string') return t.value;
  throw bad('The message must be a literal');
}
