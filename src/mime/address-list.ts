/**
 * RFC 5322 §3.4 address lists for IMAP ENVELOPE: display names kept as written (encoded words NOT decoded —
 * RFC 3501 sends header text), groups kept as groups, source routes (`<@a,@b:joe@x>`) kept.
 * nodemailer's addressparser loses routes and turns comments into names, so this is a small parser of its own.
 */

export interface ParsedMailbox {
  kind: 'mailbox';
  name: string | null;
  route: string | null;
  mailbox: string;
  host: string | null;
}

export interface ParsedGroup {
  kind: 'group';
  name: string;
  members: ParsedMailbox[];
}

export type ParsedAddress = ParsedMailbox | ParsedGroup;

/** `sp`: whitespace came before the token (display names keep their single spaces, `a@b` stays joined). */
type Token =
  | { t: 'word'; text: string; quoted: boolean; sp?: boolean }
  | { t: 'comment'; text: string; sp?: boolean }
  | { t: 'special'; text: string; sp?: boolean };

/** Upper bound on addresses kept from one header (a hostile To: can't make ENVELOPE huge). */
const maxAddresses = 1000;
/**
 * Only this much of a header is read: a 25 MB `To: a,a,a,...` would otherwise become millions of tokens and
 * exhaust the heap. 256 KB holds thousands of real addresses.
 */
const maxAddressHeaderChars = 256 * 1024;

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let space = false;
  while (i < input.length) {
    const c = input[i]!;
    const count = out.length;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') i++;
    else if (c === '"') i = readQuoted(input, i, out);
    else if (c === '(') i = readComment(input, i, out);
    else if (c === '[') i = readDomainLiteral(input, i, out);
    else if ('<>@,;:.'.includes(c)) out.push({ t: 'special', text: c }), i++;
    else {
      let j = i;
      while (j < input.length && !' \t\r\n"(<>@,;:.['.includes(input[j]!)) j++;
      out.push({ t: 'word', text: input.slice(i, j), quoted: false });
      i = j;
    }
    if (out.length > count) {
      out[count]!.sp = space;
      space = false;
    } else space = true;
  }
  return out;
}

function readQuoted(input: string, i: number, out: Token[]): number {
  let text = '';
  let j = i + 1;
  for (; j < input.length && input[j] !== '"'; j++) text += input[j] === '\\' && j + 1 < input.length ? input[++j] : input[j];
  out.push({ t: 'word', text, quoted: true });
  return j + 1;
}

function readComment(input: string, i: number, out: Token[]): number {
  let depth = 0;
  let j = i;
  for (; j < input.length; j++) {
    if (input[j] === '\\') j++;
    else if (input[j] === '(') depth++;
    else if (input[j] === ')' && --depth === 0) break;
  }
  out.push({ t: 'comment', text: input.slice(i + 1, j).trim() });
  return j + 1;
}

function readDomainLiteral(input: string, i: number, out: Token[]): number {
  const close = input.indexOf(']', i);
  const j = close < 0 ? input.length : close + 1;
  out.push({ t: 'word', text: input.slice(i, j), quoted: false });
  return j;
}

class Cursor {
  pos = 0;
  constructor(readonly tokens: Token[]) {}
  peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  isSpecial(text: string): boolean {
    const tok = this.tokens[this.pos];
    return tok !== undefined && tok.t === 'special' && tok.text === text;
  }
}

export function parseAddresses(input: string): ParsedAddress[] {
  const cur = new Cursor(tokenize(input.length > maxAddressHeaderChars ? input.slice(0, maxAddressHeaderChars) : input));
  const out: ParsedAddress[] = [];
  while (cur.peek() && out.length < maxAddresses) {
    if (cur.isSpecial(',')) {
      cur.pos++;
      continue;
    }
    const before = cur.pos;
    const item = parseItem(cur, false);
    if (item) out.push(item);
    if (cur.pos === before) cur.pos++;
  }
  return out;
}

/** One mailbox or group, up to (not including) the `,` (or the `;` ending a group) after it. */
function parseItem(cur: Cursor, inGroup: boolean): ParsedAddress | null {
  const words: Token[] = [];
  let comment: string | null = null;
  // Tracked rather than searched for at each ':' so a hostile `a@b:::::...` stays linear.
  let sawAt = false;
  for (let tok = cur.peek(); tok; tok = cur.peek()) {
    if (tok.t === 'comment') comment ??= tok.text;
    else if (tok.t === 'special' && tok.text === ':' && !inGroup && !sawAt) return parseGroup(cur, words);
    else if (tok.t === 'special' && tok.text === '<') return parseAngle(cur, words);
    else if (tok.t === 'special' && (tok.text === ',' || tok.text === ';' || tok.text === '>')) break;
    else {
      sawAt ||= isAt(tok);
      words.push(tok);
    }
    cur.pos++;
  }
  if (words.length === 0) return null;
  return addrSpec(words, comment);
}

function isAt(tok: Token): boolean {
  return tok.t === 'special' && tok.text === '@';
}

function parseGroup(cur: Cursor, words: Token[]): ParsedGroup {
  cur.pos++; // ':'
  const members: ParsedMailbox[] = [];
  while (cur.peek() && !cur.isSpecial(';') && members.length < maxAddresses) {
    if (cur.isSpecial(',')) {
      cur.pos++;
      continue;
    }
    const before = cur.pos;
    const item = parseItem(cur, true);
    if (item && item.kind === 'mailbox') members.push(item);
    if (cur.pos === before) cur.pos++;
  }
  if (cur.isSpecial(';')) cur.pos++;
  return { kind: 'group', name: phrase(words) ?? '', members };
}

function parseAngle(cur: Cursor, words: Token[]): ParsedMailbox {
  cur.pos++; // '<'
  const inner: Token[] = [];
  while (cur.peek() && !cur.isSpecial('>')) {
    const tok = cur.peek()!;
    if (tok.t !== 'comment') inner.push(tok);
    cur.pos++;
  }
  if (cur.isSpecial('>')) cur.pos++;
  // Anything after '>' up to the next ',' is junk (often a trailing comment); skip it.
  while (cur.peek() && !cur.isSpecial(',') && !cur.isSpecial(';')) cur.pos++;
  let route: string | null = null;
  const colon = inner.findIndex((t) => t.t === 'special' && t.text === ':');
  if (colon >= 0 && inner[0] && isAt(inner[0])) {
    route = inner.slice(0, colon).map(text).join('');
    inner.splice(0, colon + 1);
  }
  const spec = addrSpec(inner, null);
  return { ...spec, name: phrase(words), route };
}

function text(tok: Token): string {
  return tok.t === 'word' && tok.quoted ? `"${tok.text.replace(/(["\\])/g, '\\$1')}"` : tok.text;
}

/** `local@domain` from tokens; a missing domain gives host null (the caller decides how to show it). */
function addrSpec(tokens: Token[], comment: string | null): ParsedMailbox {
  const at = tokens.findIndex(isAt);
  const local = (at < 0 ? tokens : tokens.slice(0, at)).map(text).join('');
  const host = at < 0 ? null : tokens.slice(at + 1).map(text).join('');
  return { kind: 'mailbox', name: comment || null, route: null, mailbox: local, host };
}

/** Display-name words (quotes removed), separated by one space where the header had whitespace. */
function phrase(words: Token[]): string | null {
  let out = '';
  for (const w of words) {
    if (w.t === 'comment') continue;
    out += (out && w.sp ? ' ' : '') + w.text;
  }
  return out || null;
}

/**
 * `local@domain` or `Plain Name <local@domain>`, the shape of nearly all test mail, read without the tokenizer;
 * anything else (quotes, comments, encoded words, groups, several addresses) goes through parseAddresses.
 * Gives what parseAddresses gives for these shapes (test/unit/imap-header-fields.test.ts compares the two). ENVELOPE,
 * SEARCH FROM/TO and SORT FROM read addresses through it.
 */
const simpleAddress = /^[ \t]*(?:([A-Za-z0-9_'+-]+(?:[ \t]+[A-Za-z0-9_'+-]+)*)[ \t]*)?<([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t]*$|^[ \t]*([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)[ \t]*$/;

export function parseAddressesFast(value: string): ParsedAddress[] {
  const m = simpleAddress.exec(value);
  if (!m) return parseAddresses(value);
  if (m[2] !== undefined) return [{ kind: 'mailbox', name: m[1] === undefined ? null : m[1].split(/[ \t]+/).join(' '), route: null, mailbox: m[2], host: m[3] }];
  return [{ kind: 'mailbox', name: null, route: null, mailbox: m[4], host: m[5] }];
}
