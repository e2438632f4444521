import type { FaultRule, FaultRuleInput } from '../../store/fault-rule.js';
import type { FaultRuleSet } from '../../store/fault-rules.js';
import { badRequest } from '../errors.js';

/**
 * Mailpit's chaos triggers (`GET|PUT /api/v1/chaos`) as fault rules of SPEC §13: Sender → `smtp` `mail`, Recipient →
 * `smtp` `rcpt`, Authentication → `smtp` `auth`, each a `reply` with the trigger's code and `probability` /100. The
 * rules carry a marker in their reply text, so the triggers are read back from the rule list itself (nothing kept
 * here) and a PUT replaces exactly the rules an earlier PUT made, leaving every other rule alone.
 */
export type ChaosKind = 'Sender' | 'Recipient' | 'Authentication';
export interface ChaosTrigger {
  ErrorCode: number;
  Probability: number;
}
export type ChaosTriggers = Record<ChaosKind, ChaosTrigger>;

const marker = '(Mailpit chaos)';
const stages: Record<ChaosKind, { on: string; code: number }> = {
  Sender: { on: 'mail', code: 451 },
  Recipient: { on: 'rcpt', code: 451 },
  Authentication: { on: 'auth', code: 535 },
};
const kinds = Object.keys(stages) as ChaosKind[];

function isChaosRule(rule: FaultRule, kind: ChaosKind): boolean {
  return rule.protocol === 'smtp' && rule.on === stages[kind].on && rule.action === 'reply' && (rule.reply ?? '').endsWith(marker);
}

export function readChaos(faults: FaultRuleSet): ChaosTriggers {
  const rules = faults.list();
  const out = {} as ChaosTriggers;
  for (const kind of kinds) {
    const rule = rules.find((r) => isChaosRule(r, kind));
    out[kind] = rule ? { ErrorCode: Number(rule.reply!.slice(0, 3)), Probability: Math.round((rule.probability ?? 1) * 100) } : { ErrorCode: stages[kind].code, Probability: 0 };
  }
  return out;
}

/** Validates the whole body first (a bad trigger changes nothing), then swaps the chaos rules. */
export async function writeChaos(faults: FaultRuleSet, body: unknown): Promise<ChaosTriggers> {
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) throw badRequest('The body must be a JSON object of chaos triggers');
  const given = (body ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) if (!kinds.includes(key as ChaosKind)) throw badRequest(`unknown key ${key}`);
  const wanted = kinds.map((kind) => [kind, parseTrigger(kind, given[kind])] as const);
  for (const rule of faults.list()) if (kinds.some((k) => isChaosRule(rule, k))) await faults.remove(rule.id);
  for (const [kind, t] of wanted) {
    if (t.Probability === 0) continue;
    const rule: FaultRuleInput = { protocol: 'smtp', on: stages[kind].on, action: 'reply', reply: `${t.ErrorCode} Chaos: ${kind.toLowerCase()} error ${marker}`, probability: t.Probability / 100 };
    await faults.add(rule);
  }
  return readChaos(faults);
}

function parseTrigger(kind: ChaosKind, value: unknown): ChaosTrigger {
  if (value === undefined || value === null) return { ErrorCode: stages[kind].code, Probability: 0 };
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${kind} must be an object like {"ErrorCode": 451, "Probability": 50}`);
  const { ErrorCode = 0, Probability = 0 } = value as Record<string, unknown>;
  if (!Number.isInteger(ErrorCode) || !Number.isInteger(Probability)) throw badRequest(`${kind}: ErrorCode and Probability must be whole numbers`);
  const code = (ErrorCode as number) || stages[kind].code;
  if (code < 400 || code > 599) throw badRequest('error code must be between 400 and 599');
  if ((Probability as number) < 0 || (Probability as number) > 100) throw badRequest('probability must be between 0 and 100');
  return { ErrorCode: code, Probability: Probability as number };
}
