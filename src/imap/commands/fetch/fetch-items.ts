import { parseSection, SectionSyntaxError, formatSection, type BodySection } from '../../../mime/section.js';
import { bad } from '../../imap-error.js';
import { astringBytes } from '../../wire/args.js';
import type { Token } from '../../wire/tokenizer.js';

/**
 * fetch-att (RFC 3501 §6.4.5, §9). Parsed once per command into a flat list; the renderer walks it per message.
 */
export type FetchItem =
  | { kind: 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY' | 'MODSEQ' }
  | { kind: 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT' }
  | { kind: 'section'; section: BodySection; isPeek: boolean; partial: { start: number; count?: number } | null; label: string }
  /** RFC 3516 BINARY[part]<partial>, BINARY.PEEK[...], BINARY.SIZE[part]: a part's content, transfer-decoded. */
  | { kind: 'binary'; part: number[]; isPeek: boolean; sizeOnly: boolean; partial: { start: number; count?: number } | null; label: string };

const macros: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};
const simple = new Set(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'MODSEQ']);

/** `FETCH set ALL`, `FETCH set UID`, `FETCH set (UID FLAGS BODY.PEEK[HEADER])`. UID is added for UID FETCH. */
export function parseFetchItems(arg: Token, isUid: boolean): FetchItem[] {
  const tokens = arg.type === 'list' ? arg.items : [arg];
  if (tokens.length === 0) throw bad('Empty fetch item list');
  const items: FetchItem[] = [];
  for (const t of tokens) {
    if (t.type !== 'atom') throw bad('Bad fetch item');
    const name = t.value.toUpperCase();
    if (macros[name] && arg.type !== 'list') items.push(...macros[name].map((kind) => ({ kind }) as FetchItem));
    else if (t.section) items.push(sectionItem(name, t));
    else if (simple.has(name)) items.push({ kind: name } as FetchItem);
    else throw bad(`Unknown fetch item ${name.slice(0, 40)}`);
  }
  // RFC 3501 §6.4.8: UID FETCH always answers with UID, asked for or not.
  if (isUid && !items.some((i) => i.kind === 'UID')) items.unshift({ kind: 'UID' });
  return items;
}

function sectionItem(name: string, t: Extract<Token, { type: 'atom' }>): FetchItem {
  if (name === 'BINARY' || name === 'BINARY.PEEK' || name === 'BINARY.SIZE') return binaryItem(name, t);
  if (name !== 'BODY' && name !== 'BODY.PEEK') throw bad(`Unsupported fetch item ${name.slice(0, 40)}`);
  let section: BodySection;
  try {
    section = parseSection(sectionText(t.section ?? []));
  } catch (err) {
    if (err instanceof SectionSyntaxError) throw bad(err.message.slice(0, 100));
    throw err;
  }
  let partial: { start: number; count?: number } | null = null;
  if (t.partial !== undefined) {
    const [start, count] = t.partial.split('.').map(Number);
    if (count === 0) throw bad('Partial length must be non-zero');
    partial = { start, count };
  }
  // The response names the section as asked, with only the origin of a partial (RFC 3501 §7.4.2).
  const label = `BODY[${formatSection(section)}]${partial ? `<${partial.start}>` : ''}`;
  return { kind: 'section', section, isPeek: name === 'BODY.PEEK', partial, label };
}

/** RFC 3516 §4: section-binary is only a part number (no HEADER/TEXT/MIME); BINARY.SIZE takes no partial. */
function binaryItem(name: string, t: Extract<Token, { type: 'atom' }>): FetchItem {
  const text = sectionText(t.section ?? []);
  if (!/^(?:[1-9]\d{0,8}(?:\.[1-9]\d{0,8})*)?$/.test(text)) throw bad(`${name} takes a part number only`);
  const part = text === '' ? [] : text.split('.').map(Number);
  const sizeOnly = name === 'BINARY.SIZE';
  let partial: { start: number; count?: number } | null = null;
  if (t.partial !== undefined) {
    if (sizeOnly) throw bad('BINARY.SIZE takes no partial');
    const [start, count] = t.partial.split('.').map(Number);
    if (count === 0) throw bad('Partial length must be non-zero');
    partial = { start, count };
  }
  const label = `${sizeOnly ? 'BINARY.SIZE' : 'BINARY'}[${text}]${partial ? `<${partial.start}>` : ''}`;
  return { kind: 'binary', part, isPeek: name !== 'BINARY', sizeOnly, partial, label };
}

/** The bracket contents back as text, for the MIME layer's section parser. */
function sectionText(tokens: readonly Token[]): string {
  return tokens
    .map((t) => {
      if (t.type === 'atom') return t.value;
      if (t.type === 'list') return `(${t.items.map((i) => JSON.stringify(astringBytes(i, 'header name').toString('utf8'))).join(' ')})`;
      throw bad('Bad section');
    })
    .join(' ');
}

/** Whether fetching these items sets \Seen (RFC 3501 §6.4.5: BODY[...] without .PEEK, RFC822, RFC822.TEXT). */
export function setsSeen(items: readonly FetchItem[]): boolean {
  return items.some((i) => i.kind === 'RFC822' || i.kind === 'RFC822.TEXT' || ((i.kind === 'section' || i.kind === 'binary') && !i.isPeek));
}
