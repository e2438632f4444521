import { encodeBinaryParts } from '../../mime/binary-parts.js';
import { no, bad } from '../imap-error.js';
import { getMailbox, toDateTime, toFlag, toKeyword } from '../wire/args.js';
import type { Token } from '../wire/tokenizer.js';
import { authenticated, defineCommand, ok, type CommandContext } from './define.js';
import { mailboxOf } from './folder-access.js';

/**
 * APPEND mailbox [flag-list] [date-time] (literal / literal8 / "UTF8" SP "(" literal8 ")") — RFC 3501 §6.3.11,
 * RFC 4315 APPENDUID, RFC 7888 LITERAL+, RFC 3516 §4.3 literal8, RFC 6855 §4 UTF8.
 * The message goes through `store.deliver`, so the API, the UI feed and other sessions see it at once.
 */
export const append = defineCommand({
  names: ['APPEND'],
  states: authenticated,
  usesSequenceNumbers: false,
  takesMessageLiteral: true,
  parseArgs(args, ctx) {
    if (args.length < 2) throw bad('APPEND takes mailbox [flags] [date-time] message');
    const isUtf8Data = args.length >= 3 && args[args.length - 2].type === 'atom' && toKeyword(args[args.length - 2]) === 'UTF8';
    const dataStart = isUtf8Data ? args.length - 2 : args.length - 1;
    if (dataStart > 3) throw bad('APPEND takes mailbox [flags] [date-time] message');
    const name = getMailbox(args, 0, ctx.session);
    const rest = args.slice(1, dataStart);
    let flags: string[] = [];
    let internalDate: Date | undefined;
    for (const t of rest) {
      if (t.type === 'list') flags = [...new Set(t.items.map(toFlag))];
      else internalDate = toDateTime(t);
    }
    if (rest.length === 2 && rest[0].type !== 'list') throw bad('Flags come before the date-time');
    const message = isUtf8Data ? utf8Data(args[args.length - 1], ctx) : args[args.length - 1];
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

/** RFC 6855 §4: `UTF8 (~{n}...)`, a message whose header may hold UTF-8; only once the client enabled UTF8=ACCEPT. */
function utf8Data(t: Token, ctx: CommandContext): Token {
  if (!ctx.session.enabled.has('UTF8=ACCEPT')) throw bad('APPEND UTF8 needs ENABLE UTF8=ACCEPT first (RFC 6855 section 4)');
  const inner = t.type === 'list' && t.items.length === 1 ? t.items[0] : null;
  if (inner?.type !== 'literal' || !inner.isBinary) throw bad('APPEND UTF8 takes one literal8 in parentheses: UTF8 (~{n})');
  return inner;
}

/**
 * The stored bytes. A literal8's `Content-Transfer-Encoding: binary` parts become base64, as Dovecot does (RFC 3516
 * §4.3 allows it: nothing is lost, BINARY[part] gives the bytes back); a NUL anywhere else can't be stored as a
 * message every protocol can serve, so that is `NO [UNKNOWN-CTE]`. A plain literal's NUL is refused by the tokenizer.
 */
function messageBytes(t: Token): Buffer {
  if (t.type === 'string') return t.value;
  if (t.type !== 'literal') throw bad('The message must be a literal');
  if (!t.isBinary) return t.value;
  const raw = encodeBinaryParts(t.value);
  if (raw.includes(0)) throw no('The message has a NUL octet outside a Content-Transfer-Encoding: binary part', 'UNKNOWN-CTE');
  return raw;
}
