import type { FaultRule } from '../store/fault-rule.js';
import type { FaultFacts } from '../store/fault-rules.js';
import { actOutFault, checkFault } from '../shared/fault-check.js';
import type { ServerContext } from '../shared/server-context.js';
import type { ImapSession } from './session.js';

/** The rule that fires for this IMAP event (`connect`, or a command's names), marked in the transcript. */
export function imapFault(ctx: ServerContext, session: ImapSession, names: readonly string[], facts?: () => FaultFacts): FaultRule | null {
  return checkFault(ctx, 'imap', names, { id: session.log.id, mark: (line) => session.log.line('*', line) }, facts);
}

/**
 * Acts out a fired rule at the dispatcher's seam, so no command has fault code of its own. A reply answers the
 * command with the tag (`NO`/`BAD`), or `* BYE` and a close; at connect (`tag` `*`) any reply ends the connection,
 * since a greeting other than OK or PREAUTH leaves the client nothing to do.
 */
export function runImapFault(session: ImapSession, rule: FaultRule, tag: string, proceed: () => Promise<void>, isConnect = false): Promise<void> {
  return actOutFault(rule, {
    stream: session.socket,
    isWholeSession: isConnect,
    proceed,
    answer: async (reply) => {
      const isBye = /^BYE\b/.test(reply);
      if (isBye) return session.close(reply.slice(4) || 'Server closing connection');
      session.write(`${tag} ${reply}\r\n`);
      await session.flush();
      if (isConnect) await session.close();
    },
    drop: () => session.drop(),
  });
}
