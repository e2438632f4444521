import type { StoreChange } from '../store-change.js';

/**
 * How a change record becomes a log row: JSON text for the record, with Dates tagged (`{"$date": ISO}`) so they
 * come back as Dates, and a delivered message's bytes in their own `bytea` column (never base64 inside the JSON).
 */
export interface EncodedChange {
  kind: StoreChange['kind'];
  json: string;
  raw: Buffer | null;
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  if (original instanceof Date) return { $date: original.toISOString() };
  if (Buffer.isBuffer(original)) return { $bytes: original.toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$date === 'string') return new Date(o.$date);
    if (keys.length === 1 && typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64');
  }
  return value;
}

/** JSON with Dates and Buffers tagged, as in log rows (snapshots use it too). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

export function fromJson<T>(json: string): T {
  return JSON.parse(json, reviver) as T;
}

export function encodeChange(change: StoreChange): EncodedChange {
  if (change.kind === 'deliver') {
    const { raw, ...message } = change.message;
    return { kind: change.kind, json: JSON.stringify({ ...change, message }, replacer), raw };
  }
  return { kind: change.kind, json: JSON.stringify(change, replacer), raw: null };
}

export function decodeChange(json: string, raw: Buffer | null): StoreChange {
  const change = JSON.parse(json, reviver) as StoreChange;
  if (change.kind === 'deliver') (change.message as { raw: Buffer }).raw = raw ?? Buffer.alloc(0);
  return change;
}
