import type { FaultProtocol, FaultRule } from '../store/fault-rule.js';
import type { FaultFacts } from '../store/fault-rules.js';
import type { ServerContext } from './server-context.js';
import type { Duplex } from 'node:stream';
import { captureStream, sleep, throttleStream, writePartialAndDrop } from './fault-output.js';

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
  if (rule) {
    session.mark(`[fault ${rule.id}] ${describeFault(rule)}`);
    // The hit is a store change: a durable store (SQLite's group commit) may still be writing it. The fault acts
    // only once it is persisted, so a refusal a client saw is counted after a crash (whenHitKept).
    const pending = ctx.store.pendingWrite;
    if (pending) hitsBeingKept.set(rule, pending.catch(() => undefined));
  }
  return rule;
}

const hitsBeingKept = new WeakMap<FaultRule, Promise<void>>();

/**
 * The write of the rule's latest hit (settled once persisted), else undefined. Not taken out: two hits of one rule
 * in one event-loop turn both wait for the later write, which commits with or after the earlier one.
 */
function hitBeingKept(rule: FaultRule): Promise<void> | undefined {
  return hitsBeingKept.get(rule);
}

/** Runs `act` once the rule's last hit is persisted: at once when nothing is pending (the in-memory store). */
export function whenHitKept(rule: FaultRule, act: () => void): void {
  const pending = hitBeingKept(rule);
  if (!pending) return act();
  void pending.then(act);
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

export interface StreamFaultControl {
  /** The stream the session writes its responses to (tapped to throttle or cut them). */
  stream: Duplex;
  /** Runs the command (or greeting) as if nothing happened. */
  proceed(): Promise<void> | void;
  /** Sends the fault's reply the protocol's way (`-ERR ...`, `tag NO ...`, `* BYE ...`). */
  answer(reply: string): Promise<void> | void;
  /** Drops the connection with nothing more said. */
  drop(): void;
  /** At connect a throttle holds for the whole session; elsewhere for the command's own responses. */
  isWholeSession?: boolean;
}

/**
 * Acts out a fired rule for POP3 and IMAP (line protocols with one writer): `delayMs` first, then the reply, a
 * drop (with `partial`: the command runs, its output is held back, part of it goes out, then the drop), a plain
 * delay, or the command's responses trickled at `bytesPerSecond`.
 */
export async function actOutFault(rule: FaultRule, c: StreamFaultControl): Promise<void> {
  const kept = hitBeingKept(rule);
  if (kept) await kept;
  if (rule.delayMs) await sleep(rule.delayMs);
  switch (rule.action) {
    case 'delay':
      return c.proceed();
    case 'reply':
      return c.answer(rule.reply ?? '');
    case 'throttle': {
      const throttle = throttleStream(c.stream, rule.bytesPerSecond ?? 1024);
      try {
        await c.proceed();
      } finally {
        if (!c.isWholeSession) throttle.release();
      }
      return;
    }
    case 'disconnect': {
      if (!rule.partial) return c.drop();
      const capture = captureStream(c.stream);
      try {
        await c.proceed();
      } finally {
        writePartialAndDrop(c.stream, capture.take());
      }
    }
  }
}
