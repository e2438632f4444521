import type { FaultProtocol, FaultRule } from '../store/fault-rule.js';
import type { FaultFacts } from '../store/fault-rules.js';
import type { ServerContext } from './server-context.js';

/**
 * Asks the rule set whether a fault fires for this event and, when one does, marks it in the session's
 * transcript as `[fault <ruleId>] ...` (SPEC §13). `facts` is built only when a rule exists for the protocol.
 */
export function checkFault(
  ctx: ServerContext,
  protocol: FaultProtocol,
  names: readonly string[],
  session: { id: string; mark(line: string): void },
  facts?: () => FaultFacts,
): FaultRule | null {
  const faults = ctx.store.faults;
  if (!faults.has(protocol)) return null;
  const rule = faults.check(protocol, names, session.id, facts?.());
  if (rule) session.mark(`[fault ${rule.id}] ${describeFault(rule)}`);
  return rule;
}

/** One line for the transcript: what the fault does. */
export function describeFault(rule: FaultRule): string {
  const on = `on ${rule.on}`;
  const wait = rule.delayMs ? ` after ${rule.delayMs} ms` : '';
  switch (rule.action) {
    case 'reply':
      return `${on}: reply ${JSON.stringify(rule.reply)}${wait}`;
    case 'disconnect':
      return `${on}: disconnect${rule.partial ? ' after part of the response' : ''}${wait}`;
    case 'delay':
      return `${on}: delay ${rule.delayMs} ms`;
    case 'throttle':
      return `${on}: throttle output to ${rule.bytesPerSecond} bytes/s${wait}`;
  }
}
