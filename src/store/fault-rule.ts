/**
 * The fault rule of SPEC §13: its JSON shape and the one validator every entry point (REST, library, client,
 * `--faults FILE`) goes through, so a rule is either whole and valid or refused with the field that is wrong.
 */

export type FaultProtocol = 'smtp' | 'pop3' | 'imap';
export type FaultAction = 'reply' | 'disconnect' | 'delay' | 'throttle';
export type FaultPer = 'sender+recipient' | 'sender' | 'recipient' | 'user' | 'connection';
export type FaultMatchField = 'to' | 'from' | 'subject' | 'user' | 'mailbox';

/** What a caller gives: SPEC §13's JSON. */
export interface FaultRuleInput {
  protocol: FaultProtocol;
  /** A stage (`connect`, `rcpt`, `auth`, ...) or, for POP3 and IMAP, a command name. Case-insensitive. */
  on: string;
  /** Case-insensitive substrings, or `/regex/flags`. Every field given must match. */
  match?: Partial<Record<FaultMatchField, string>>;
  action: FaultAction;
  /** The whole reply: SMTP `451 4.7.1 ...`, POP3 `-ERR ...`, IMAP `NO ...` / `BAD ...` / `BYE ...`. */
  reply?: string;
  delayMs?: number;
  bytesPerSecond?: number;
  partial?: boolean;
  times?: number;
  skip?: number;
  per?: FaultPer;
  probability?: number;
  seed?: number;
}

/** A rule as stored and listed: every field as validated, plus its id and counters. */
export interface FaultRule extends FaultRuleInput {
  readonly id: string;
  hits: number;
  /** True once `times` is used up (never for a rule counted `per` key: a new key starts afresh). */
  spent: boolean;
  readonly createdAt: string;
  /**
   * Set on rules loaded from `faults` / `--faults FILE` at start. A durable or shared store keeps them; the next start
   * replaces them with the file's rules (an identical rule stays as it was, with its id and hits): no duplicates.
   */
  readonly loadedAtStart?: true;
}

/** A rule that can't be accepted; `field` names what is wrong (SPEC §13: the 400 names the field). */
export class FaultRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'FaultRuleError';
  }
}

export const smtpStages = ['connect', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'message'] as const;
export const pop3Commands = ['CONNECT', 'AUTH', 'USER', 'PASS', 'APOP', 'STLS', 'CAPA', 'STAT', 'LIST', 'UIDL', 'RETR', 'TOP', 'DELE', 'RSET', 'NOOP', 'QUIT'];
export const imapCommands = [
  'CONNECT', 'AUTH', 'CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'AUTHENTICATE', 'LOGIN', 'SELECT', 'EXAMINE', 'CREATE', 'DELETE',
  'RENAME', 'SUBSCRIBE', 'UNSUBSCRIBE', 'LIST', 'LSUB', 'STATUS', 'APPEND', 'CHECK', 'CLOSE', 'EXPUNGE', 'SEARCH', 'FETCH', 'STORE',
  'COPY', 'MOVE', 'IDLE', 'NAMESPACE', 'ID', 'ENABLE', 'UNSELECT',
  'UID FETCH', 'UID STORE', 'UID COPY', 'UID MOVE', 'UID SEARCH', 'UID EXPUNGE',
];

const fields = new Set(['protocol', 'on', 'match', 'action', 'reply', 'delayMs', 'bytesPerSecond', 'partial', 'times', 'skip', 'per', 'probability', 'seed']);
const matchFields: readonly FaultMatchField[] = ['to', 'from', 'subject', 'user', 'mailbox'];
const actions: readonly FaultAction[] = ['reply', 'disconnect', 'delay', 'throttle'];
const pers: readonly FaultPer[] = ['sender+recipient', 'sender', 'recipient', 'user', 'connection'];
/** A fault may slow a session down, not hang it: the longest delay a rule may ask for. */
export const maxDelayMs = 10 * 60_000;

/** The canonical form of `on`: SMTP stages lower-case, POP3/IMAP names upper-case (`connect`/`auth` too, then lowered). */
export function normalizeOn(protocol: FaultProtocol, on: string): string {
  const trimmed = on.trim().replace(/\s+/g, ' ');
  if (protocol === 'smtp') return trimmed.toLowerCase();
  const upper = trimmed.toUpperCase();
  return upper === 'CONNECT' || upper === 'AUTH' ? upper.toLowerCase() : upper;
}

/**
 * Validates an untrusted rule (parsed JSON) and returns it normalized, or throws FaultRuleError naming the field.
 * @example parseFaultRule({ protocol: 'smtp', on: 'rcpt', action: 'reply', reply: '451 4.7.1 Try again later', times: 1, per: 'sender+recipient' })
 */
export function parseFaultRule(input: unknown): FaultRuleInput {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new FaultRuleError('rule', 'must be a JSON object');
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!fields.has(key)) throw new FaultRuleError(key, 'unknown field');
  const protocol = o.protocol;
  if (protocol !== 'smtp' && protocol !== 'pop3' && protocol !== 'imap') throw new FaultRuleError('protocol', 'must be smtp, pop3 or imap');
  const on = parseOn(protocol, o.on);
  const action = o.action;
  if (action === undefined) throw new FaultRuleError('action', 'is required (reply, disconnect, delay or throttle)');
  if (!actions.includes(action as FaultAction)) throw new FaultRuleError('action', `must be one of ${actions.join(', ')}`);
  const rule: FaultRuleInput = { protocol, on, action: action as FaultAction };
  if (o.match !== undefined) rule.match = parseMatch(o.match);
  if (o.reply !== undefined || action === 'reply') rule.reply = parseReply(protocol, o.reply);
  if (o.delayMs !== undefined) rule.delayMs = count(o.delayMs, 'delayMs', maxDelayMs);
  if (action === 'delay' && rule.delayMs === undefined) throw new FaultRuleError('delayMs', 'is required for action delay');
  if (o.bytesPerSecond !== undefined) rule.bytesPerSecond = count(o.bytesPerSecond, 'bytesPerSecond', 1e9, 1);
  if (action === 'throttle' && rule.bytesPerSecond === undefined) throw new FaultRuleError('bytesPerSecond', 'is required for action throttle');
  if (o.partial !== undefined) {
    if (typeof o.partial !== 'boolean') throw new FaultRuleError('partial', 'must be true or false');
    if (o.partial && action !== 'disconnect') throw new FaultRuleError('partial', 'only goes with action disconnect');
    rule.partial = o.partial;
  }
  if (o.times !== undefined) rule.times = count(o.times, 'times', Number.MAX_SAFE_INTEGER, 1);
  if (o.skip !== undefined) rule.skip = count(o.skip, 'skip', Number.MAX_SAFE_INTEGER);
  if (o.per !== undefined) {
    if (!pers.includes(o.per as FaultPer)) throw new FaultRuleError('per', `must be one of ${pers.join(', ')}`);
    rule.per = o.per as FaultPer;
  }
  if (o.probability !== undefined) {
    const p = o.probability;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) throw new FaultRuleError('probability', 'must be a number from 0 to 1');
    rule.probability = p;
  }
  if (o.seed !== undefined) rule.seed = count(o.seed, 'seed', 2 ** 32 - 1);
  return rule;
}

function parseOn(protocol: FaultProtocol, value: unknown): string {
  if (typeof value !== 'string' || !value.trim()) throw new FaultRuleError('on', 'is required: a stage or command name');
  const on = normalizeOn(protocol, value);
  const known: readonly string[] = protocol === 'smtp' ? smtpStages : protocol === 'pop3' ? pop3Commands : imapCommands;
  const canonical = protocol === 'smtp' ? on : on.toUpperCase();
  if (!known.includes(canonical)) throw new FaultRuleError('on', `${protocol} has no stage or command ${JSON.stringify(value)} (one of: ${known.map((k) => k.toLowerCase()).join(', ')})`);
  return on;
}

function parseMatch(value: unknown): FaultRuleInput['match'] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new FaultRuleError('match', 'must be an object');
  const out: Partial<Record<FaultMatchField, string>> = {};
  for (const [key, pattern] of Object.entries(value)) {
    if (!matchFields.includes(key as FaultMatchField)) throw new FaultRuleError(`match.${key}`, `unknown field (one of ${matchFields.join(', ')})`);
    if (typeof pattern !== 'string' || pattern === '') throw new FaultRuleError(`match.${key}`, 'must be a non-empty string');
    try {
      compilePattern(pattern);
    } catch (err) {
      throw new FaultRuleError(`match.${key}`, `bad regular expression: ${(err as Error).message}`);
    }
    out[key as FaultMatchField] = pattern;
  }
  return out;
}

/** SMTP: a 4xx/5xx code and text; POP3: `-ERR ...`; IMAP: `NO ...`, `BAD ...` or `BYE ...` (SPEC §13). */
function parseReply(protocol: FaultProtocol, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new FaultRuleError('reply', 'is required for action reply');
  if (/[\r\n\0]/.test(value) || value.length > 500) throw new FaultRuleError('reply', 'must be one line of at most 500 characters');
  const ok =
    protocol === 'smtp' ? /^[45]\d\d( .*)?$/.test(value) : protocol === 'pop3' ? /^-ERR( .*)?$/.test(value) : /^(NO|BAD|BYE)( .*)?$/i.test(value);
  if (!ok) {
    const want = protocol === 'smtp' ? 'a 4xx or 5xx code and text, like "451 4.7.1 Try again later"' : protocol === 'pop3' ? '"-ERR text"' : '"NO text", "BAD text" or "BYE text"';
    throw new FaultRuleError('reply', `is not a ${protocol} error reply: want ${want}`);
  }
  return protocol === 'imap' ? value.replace(/^\w+/, (s) => s.toUpperCase()) : value;
}

function count(value: unknown, field: string, max: number, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FaultRuleError(field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** `"/.../flags"` is a regular expression; anything else a case-insensitive substring. */
export function compilePattern(pattern: string): (value: string) => boolean {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (m) {
    const re = new RegExp(m[1], m[2].replace(/[gy]/g, ''));
    return (value) => re.test(value);
  }
  // A case-insensitive literal RegExp: no lower-cased copy of the value per rule and event.
  const re = new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  return (value) => re.test(value);
}
