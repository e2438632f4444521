import { createRequire } from 'node:module';
import { capabilities } from '../capabilities.js';
import { bad } from '../imap-error.js';
import { formatImapValue } from '../wire/encoder.js';
import { anyState, defineCommand, noArgs, ok } from './define.js';

const version = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

// CAPABILITY — RFC 3501 §6.1.1
export const capability = defineCommand({
  names: ['CAPABILITY'],
  states: anyState,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  async run(ctx) {
    await ctx.session.untagged(`CAPABILITY ${capabilities(ctx.session)}`);
    return ok('CAPABILITY completed');
  },
});

// NOOP — RFC 3501 §6.1.2; CHECK — §6.4.1. Both exist to let queued updates through, which the dispatcher does.
export const noop = defineCommand({
  names: ['NOOP'],
  states: anyState,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  run: (ctx) => ok(`${ctx.name} completed`),
});

// LOGOUT — RFC 3501 §6.1.3: untagged BYE, then the tagged OK, then close. Nothing else may follow the BYE, so
// queued updates (an EXPUNGE from another session) go out first and the folder is let go before it.
export const logout = defineCommand({
  names: ['LOGOUT'],
  states: anyState,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  async run(ctx) {
    await ctx.flushUpdates(true);
    ctx.session.deselect();
    await ctx.session.untagged('BYE mailsandbox logging out');
    return ok('LOGOUT completed', null, () => ctx.session.close());
  },
});

// ID ( "name" "value" ... ) / ID NIL — RFC 2971. The client's ID is noted in the transcript only.
export const id = defineCommand({
  names: ['ID'],
  states: anyState,
  usesSequenceNumbers: false,
  parseArgs(args) {
    if (args.length !== 1 || (args[0].type !== 'list' && args[0].type !== 'nil')) throw bad('ID takes a list or NIL');
  },
  async run(ctx) {
    const info = formatImapValue(['name', 'mailsandbox', 'version', version, 'vendor', 'mailsandbox']);
    await ctx.session.untagged(`ID ${info.toString('latin1')}`);
    return ok('ID completed');
  },
});
