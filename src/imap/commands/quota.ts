import type { Mailbox } from '../../store/types.js';
import { no } from '../imap-error.js';
import { expectArgCount, getAstring, getMailbox } from '../wire/args.js';
import { formatMailboxName } from '../wire/encoder.js';
import { authenticated, defineCommand, ok, type CommandContext } from './define.js';
import { folderOf, mailboxOf } from './folder-access.js';

/** One quota root per mailbox (user), named "" (SPEC §17); its resources come from --quota-messages/--quota-size. */
const rootName = '';

/**
 * `QUOTA "" (MESSAGE used limit STORAGE used limit)` (RFC 9208 §5.1). STORAGE is in units of 1024 octets. A resource
 * without a configured limit is left out: the response has no way to say "used, no limit".
 */
function quotaLine(ctx: CommandContext, mailbox: Mailbox): string {
  const { quotaMessages, quotaSize } = ctx.server.config;
  const resources: string[] = [];
  if (quotaMessages > 0) resources.push(`MESSAGE ${mailbox.usage.messages} ${quotaMessages}`);
  if (quotaSize > 0) resources.push(`STORAGE ${Math.ceil(mailbox.usage.bytes / 1024)} ${Math.floor(quotaSize / 1024)}`);
  return `QUOTA "${rootName}" (${resources.join(' ')})`;
}

// GETQUOTAROOT mailbox — RFC 9208 §4.3: every folder of a mailbox shares its one root.
export const getQuotaRoot = defineCommand({
  names: ['GETQUOTAROOT'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args, ctx) => (expectArgCount(args, 1), { name: getMailbox(args, 0, ctx.session) }),
  async run(ctx, { name }) {
    const folder = folderOf(ctx, name);
    await ctx.session.untagged(`QUOTAROOT ${formatMailboxName(folder.name, ctx.session).toString('utf8')} "${rootName}"`);
    await ctx.session.untagged(quotaLine(ctx, mailboxOf(ctx)));
    return ok('GETQUOTAROOT completed');
  },
});

// GETQUOTA root — RFC 9208 §4.2
export const getQuota = defineCommand({
  names: ['GETQUOTA'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args) => (expectArgCount(args, 1), { root: getAstring(args, 0, 'quota root') }),
  async run(ctx, { root }) {
    if (root !== rootName) throw no(`No quota root ${JSON.stringify(root.slice(0, 50))}; the root is ""`, 'NONEXISTENT');
    await ctx.session.untagged(quotaLine(ctx, mailboxOf(ctx)));
    return ok('GETQUOTA completed');
  },
});

// SETQUOTA root (resource limit ...) — RFC 9208 §4.1: limits are the operator's (--quota-*), not the client's.
export const setQuota = defineCommand({
  names: ['SETQUOTA'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args) => expectArgCount(args, 2),
  run() {
    throw no('Quotas are set by the operator (--quota-messages, --quota-size), not over IMAP', 'NOPERM');
  },
});
