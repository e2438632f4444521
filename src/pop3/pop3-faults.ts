import type { FaultRule } from '../store/fault-rule.js';
import type { FaultFacts } from '../store/fault-rules.js';
import type { SessionHandle } from '../store/session-log.js';
import { checkFault } from '../shared/fault-check.js';
import type { ServerContext } from '../shared/server-context.js';

/** POP3 commands that check credentials: a fault rule `on: "auth"` fires on them. */
const authCommands = new Set(['PASS', 'APOP', 'AUTH']);

/**
 * The rule that fires for a POP3 event (`connect`, or a command), marked in the session's transcript; null for none.
 * `user` is the logged-in mailbox, else the name USER or APOP gave, else the one waiting for PASS.
 */
export function pop3Fault(ctx: ServerContext, log: SessionHandle, name: string, who?: () => { args: readonly string[]; mailbox?: string; pendingUser: string | null }): FaultRule | null {
  const names = authCommands.has(name) ? [name, 'auth'] : [name];
  const facts = who && ((): FaultFacts => {
    const { args, mailbox, pendingUser } = who();
    const user = mailbox ?? (name === 'USER' || name === 'APOP' ? args[0] : pendingUser) ?? undefined;
    return { user, mailbox: user };
  });
  return checkFault(ctx, 'pop3', names, { id: log.id, mark: (line) => log.line('*', line) }, facts);
}
