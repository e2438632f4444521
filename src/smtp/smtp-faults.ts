import type { FaultRule } from '../store/fault-rule.js';
import type { FaultFacts } from '../store/fault-rules.js';
import { checkFault, whenHitKept } from '../shared/fault-check.js';
import { throttleStream } from '../shared/fault-output.js';
import type { ServerContext } from '../shared/server-context.js';
import type { SandboxSmtpConnection } from './sandbox-connection.js';

/** The SMTP fault stages smtp-server has no hook for, by command verb; MAIL, RCPT and AUTH use the hooks. */
export const commandStages: Readonly<Record<string, string>> = { EHLO: 'ehlo', HELO: 'ehlo', LHLO: 'ehlo', STARTTLS: 'starttls', DATA: 'data' };

/** `451 4.7.1 Try again later` -> [451, '4.7.1 Try again later'] (the validator guarantees the shape). */
export function splitSmtpReply(reply: string): [number, string] {
  return [Number(reply.slice(0, 3)), reply.slice(4)];
}

/** The rule that fires for this connection at `stage`, marked in its transcript; null for none. */
export function smtpFault(ctx: ServerContext, connection: SandboxSmtpConnection, stage: string, facts?: () => FaultFacts): FaultRule | null {
  if (!ctx.store.faults.has('smtp')) return null; // the usual case: no rule, nothing to make
  const session = connection.transcript.session;
  return checkFault(ctx, 'smtp', [stage], { id: session.id, mark: (line) => connection.transcript.note(line) }, facts);
}

export interface StageControl {
  /** Goes on with the stage as if nothing happened. */
  proceed(): void;
  /** Answers the stage with the fault's reply, the way that stage answers errors. */
  answer(code: number, text: string): void;
}

/**
 * Acts out a fired rule at a stage: `delayMs` first, then reply, disconnect (with `partial`: the stage's reply is
 * cut in half and the connection dropped; at `data`, the drop comes mid-message), plain delay, or throttled replies.
 */
export function runSmtpFault(connection: SandboxSmtpConnection, stage: string, rule: FaultRule, stageControl: StageControl): void {
  const act = (): void => {
    if (connection.isGone) return;
    switch (rule.action) {
      case 'delay':
        return stageControl.proceed();
      case 'reply': {
        const [code, text] = splitSmtpReply(rule.reply ?? '451 4.3.0 Fault injected');
        return stageControl.answer(code, text);
      }
      case 'throttle':
        connection.faultOnNextReply = throttleStream(connection.socket, rule.bytesPerSecond ?? 1024);
        // At connect the whole session trickles; elsewhere only the stage's own reply.
        if (stage === 'connect') connection.faultOnNextReply = null;
        return stageControl.proceed();
      case 'disconnect':
        if (!rule.partial) return connection.drop();
        if (stage === 'data') connection.isDroppingMidData = true;
        else connection.faultOnNextReply = 'cut';
        return stageControl.proceed();
    }
  };
  whenHitKept(rule, () => {
    if (rule.delayMs && rule.action !== 'delay') setTimeout(act, rule.delayMs);
    else if (rule.action === 'delay') setTimeout(act, rule.delayMs ?? 0);
    else act();
  });
}
