import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Validates our Mailpit-compatible answers against Mailpit's own OpenAPI (swagger 2.0) document, made stricter in
 * one way: every property the document defines for an object is required (SPEC §16: responses carry every field
 * Mailpit's document defines), so a missing field fails as surely as a wrong type.
 */
const swagger = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../fixtures/mailpit-swagger.json'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; schema?: object }> }>>;
  responses: Record<string, { schema?: object }>;
  definitions: Record<string, object>;
};

function requireEveryProperty(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(requireEveryProperty);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = requireEveryProperty(v);
  if (out.properties && typeof out.properties === 'object') out.required = Object.keys(out.properties as object);
  return out;
}

const definitions = requireEveryProperty(swagger.definitions) as Record<string, object>;
const ajv = new Ajv({ strict: false, allErrors: true });
// ajv-formats is CommonJS with a default export; under NodeNext its namespace is what the import gives.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => void;
addFormats(ajv);
for (const f of ['int64', 'uint64', 'float', 'double']) ajv.addFormat(f, { type: 'number', validate: () => true });
const cache = new Map<string, ValidateFunction>();

/** The 200 schema Mailpit documents for `method path` (path as in the document, e.g. `/api/v1/message/{ID}`). */
function validatorFor(method: string, path: string): ValidateFunction {
  const key = `${method} ${path}`;
  let v = cache.get(key);
  if (!v) {
    const response = swagger.paths[path]?.[method.toLowerCase()]?.responses['200'];
    if (!response) throw new Error(`Mailpit's document has no 200 answer for ${key}`);
    const schema = response.$ref ? swagger.responses[response.$ref.replace('#/responses/', '')].schema : response.schema;
    v = ajv.compile({ ...(requireEveryProperty(schema) as object), definitions });
    cache.set(key, v);
  }
  return v;
}

/** Throws with ajv's findings when `body` is not what Mailpit documents for `method path`. */
export function assertMailpitShape(method: string, path: string, body: unknown): void {
  const validate = validatorFor(method, path);
  if (!validate(body)) throw new Error(`${method} ${path} does not match Mailpit's schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 800)}`);
}

/** One named definition (for WebSocket frames: `MessageSummary`). */
export function assertMailpitDefinition(name: string, body: unknown): void {
  const key = `#${name}`;
  let v = cache.get(key);
  if (!v) {
    v = ajv.compile({ $ref: `#/definitions/${name}`, definitions });
    cache.set(key, v);
  }
  if (!v(body)) throw new Error(`not a Mailpit ${name}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(body).slice(0, 800)}`);
}
