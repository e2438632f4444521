import { bad } from '../imap-error.js';
import { authenticated, defineCommand, noArgs, ok } from './define.js';

/**
 * IDLE ... DONE — RFC 2177. While idling, the selected folder's changes are pushed as they happen (the view
 * calls back, the dispatcher writes). The session's idle timeout keeps running: a silent client is logged out.
 */
export const idle = defineCommand({
  names: ['IDLE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  async run(ctx) {
    const session = ctx.session;
    await ctx.flushUpdates(true);
    session.write('+ idling\r\n');
    await session.flush();
    session.isIdling = true;
    // An update queued while the continuation waited for a slow socket found isIdling still false: push it now,
    // or it would wait for DONE.
    if (session.view?.hasPendingUpdates || session.view?.isFolderGone) ctx.onViewUpdate();
    let line: Buffer | null;
    try {
      line = await ctx.readLine();
    } finally {
      session.isIdling = false;
    }
    if (line === null) return ok('IDLE ended');
    session.log.line('C', line.toString('utf8').slice(0, 100));
    if (line.toString('latin1').trim().toUpperCase() !== 'DONE') throw bad('Expected DONE');
    return ok('IDLE terminated');
  },
});
