/**
 * A standard (RFC 1035 §5) zone file, read for the checks' DNS answers: `$ORIGIN`, `$TTL`, `;` comments,
 * parentheses across lines, relative and `@` owners, a blank owner repeating the previous one, optional TTL and
 * class, and TXT data split into several quoted strings. Record types kept: TXT, A, AAAA, MX, CNAME (others skipped).
 */

export interface ZoneRecords {
  /** Lower-case FQDN without the trailing dot -> type -> values (TXT: the strings of each record). */
  readonly records: ReadonlyMap<string, ReadonlyMap<string, unknown[]>>;
}

export class ZoneSyntaxError extends Error {
  constructor(line: number, message: string) {
    super(`zone file line ${line}: ${message}`);
    this.name = 'ZoneSyntaxError';
  }
}

const types = new Set(['TXT', 'A', 'AAAA', 'MX', 'CNAME', 'NS', 'SOA', 'SRV', 'PTR', 'CAA']);
const classes = new Set(['IN', 'CH', 'HS']);

export function parseZoneFile(text: string, defaultOrigin = ''): ZoneRecords {
  const records = new Map<string, Map<string, unknown[]>>();
  let origin = defaultOrigin.replace(/\.$/, '').toLowerCase();
  let previousOwner = origin;
  for (const { tokens, line, startsBlank } of logicalLines(text)) {
    if (tokens.length === 0) continue;
    const first = tokens[0].text;
    if (first.toUpperCase() === '$ORIGIN') {
      origin = absolute(tokens[1]?.text ?? '', origin, line);
      continue;
    }
    if (first.toUpperCase() === '$TTL' || first.toUpperCase() === '$INCLUDE') continue;
    let i = 0;
    let owner = previousOwner;
    if (!startsBlank) owner = absolute(tokens[i++].text, origin, line);
    previousOwner = owner;
    // TTL and class come in either order, both optional.
    while (i < tokens.length && !tokens[i].quoted && (/^\d+[smhdw]?$/i.test(tokens[i].text) || classes.has(tokens[i].text.toUpperCase()))) i++;
    const type = tokens[i]?.text.toUpperCase();
    if (!type || !types.has(type)) throw new ZoneSyntaxError(line, `expected a record type, got ${JSON.stringify(tokens[i]?.text ?? '')}`);
    const data = tokens.slice(i + 1);
    const value = recordValue(type, data, origin, line);
    if (value === undefined) continue;
    let byType = records.get(owner);
    if (!byType) records.set(owner, (byType = new Map()));
    byType.set(type, [...(byType.get(type) ?? []), value]);
  }
  return { records };
}

function recordValue(type: string, data: Token[], origin: string, line: number): unknown {
  switch (type) {
    case 'TXT':
      if (data.length === 0) throw new ZoneSyntaxError(line, 'TXT needs at least one string');
      return data.map((t) => t.text);
    case 'A':
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(data[0]?.text ?? '')) throw new ZoneSyntaxError(line, `bad A address ${JSON.stringify(data[0]?.text ?? '')}`);
      return data[0].text;
    case 'AAAA':
      if (!/^[0-9a-f:.]+$/i.test(data[0]?.text ?? '') || !data[0].text.includes(':')) throw new ZoneSyntaxError(line, `bad AAAA address ${JSON.stringify(data[0]?.text ?? '')}`);
      return data[0].text.toLowerCase();
    case 'MX':
      if (!/^\d+$/.test(data[0]?.text ?? '') || !data[1]) throw new ZoneSyntaxError(line, 'MX needs a preference and a host');
      return { priority: Number(data[0].text), exchange: absolute(data[1].text, origin, line) };
    case 'CNAME':
      if (!data[0]) throw new ZoneSyntaxError(line, 'CNAME needs a target');
      return absolute(data[0].text, origin, line);
    default:
      return undefined;
  }
}

function absolute(name: string, origin: string, line: number): string {
  if (!name) throw new ZoneSyntaxError(line, 'missing name');
  if (name === '@') return origin;
  if (name.endsWith('.')) return name.slice(0, -1).toLowerCase();
  return (origin ? `${name}.${origin}` : name).toLowerCase();
}

interface Token {
  text: string;
  quoted: boolean;
}

/** Tokens per logical line (parentheses join lines); `startsBlank` when the line began with white space. */
function* logicalLines(text: string): Generator<{ tokens: Token[]; line: number; startsBlank: boolean }> {
  let tokens: Token[] = [];
  let depth = 0;
  let startLine = 1;
  let startsBlank = false;
  let lineNo = 0;
  for (const raw of text.split(/\r?\n/)) {
    lineNo++;
    if (depth === 0) {
      tokens = [];
      startLine = lineNo;
      startsBlank = /^[ \t]/.test(raw);
    }
    depth = tokenize(raw, tokens, depth, lineNo);
    if (depth === 0) yield { tokens, line: startLine, startsBlank };
  }
  if (depth !== 0) throw new ZoneSyntaxError(startLine, 'unclosed parenthesis');
}

function tokenize(line: string, out: Token[], depth: number, lineNo: number): number {
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ';') break;
    if (c === ' ' || c === '\t') i++;
    else if (c === '(') (depth++, i++);
    else if (c === ')') (depth--, i++);
    else if (c === '"') {
      let s = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') {
          const dec = /^\d{3}/.exec(line.slice(i + 1, i + 4));
          s += dec ? String.fromCharCode(Number(dec[0])) : (line[i + 1] ?? '');
          i += dec ? 4 : 2;
        } else s += line[i++];
      }
      if (i >= line.length) throw new ZoneSyntaxError(lineNo, 'unclosed quoted string');
      i++;
      out.push({ text: s, quoted: true });
    } else {
      let s = '';
      while (i < line.length && !' \t;()"'.includes(line[i])) s += line[i++];
      out.push({ text: s, quoted: false });
    }
  }
  if (depth < 0) throw new ZoneSyntaxError(lineNo, 'unbalanced parenthesis');
  return depth;
}

/** A `dns.promises.resolve`-shaped resolver over the zone (mailauth's `resolver` option); no other DNS is asked. */
export function zoneResolver(zone: ZoneRecords | null): (name: string, type: string) => Promise<unknown[]> {
  const lookup = async (name: string, type: string, hops = 0): Promise<unknown[]> => {
    const key = name.replace(/\.$/, '').toLowerCase();
    const byType = zone?.records.get(key);
    const direct = byType?.get(type.toUpperCase());
    if (direct?.length) return direct;
    const cname = byType?.get('CNAME')?.[0];
    // A CNAME chain (bounded: a loop in a zone must not hang the check).
    if (typeof cname === 'string' && type.toUpperCase() !== 'CNAME' && hops < 8) return lookup(cname, type, hops + 1);
    const err = new Error(`${type} ${name}: ${byType ? 'no data' : 'not found'} in the sandbox's DNS zone`) as Error & { code: string };
    // The codes Node's resolver uses; mailauth maps them to none/permerror rather than temperror.
    err.code = byType ? 'ENODATA' : 'ENOTFOUND';
    throw err;
  };
  return (name, type) => lookup(name, type);
}
