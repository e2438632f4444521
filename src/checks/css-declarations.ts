/**
 * Just enough CSS reading for the checks: the declarations of a `style` attribute, and the rules, at-rules and
 * declarations of a `<style>` block. One forward pass; no cascade (mail clients apply little of it anyway).
 */

export interface CssDeclaration {
  property: string;
  value: string;
}

export interface CssRule {
  selector: string;
  declarations: CssDeclaration[];
}

export interface StyleSheetFacts {
  rules: CssRule[];
  /** Lower-case at-rule names used, e.g. `media`, `font-face`, `import`. */
  atRules: Set<string>;
  /** Media features inside `@media (...)`, e.g. `prefers-color-scheme`. */
  mediaFeatures: Set<string>;
}

/** `color: red; font-size:12px` -> declarations; `!important` dropped. */
export function parseDeclarations(text: string): CssDeclaration[] {
  const out: CssDeclaration[] = [];
  for (const part of stripComments(text).split(';')) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    const property = part.slice(0, colon).trim().toLowerCase();
    const value = part.slice(colon + 1).replace(/!\s*important/i, '').trim();
    if (/^(--[\w-]+|-?[a-z][a-z0-9-]*)$/.test(property) && value) out.push({ property, value });
  }
  return out;
}

/** Reads a `<style>` block; nested blocks (`@media { ... }`) are flattened into their rules. */
export function parseStyleSheet(css: string): StyleSheetFacts {
  const text = stripComments(css);
  const rules: CssRule[] = [];
  const atRules = new Set<string>();
  const mediaFeatures = new Set<string>();
  let prelude = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '{') {
      const p = prelude.trim();
      prelude = '';
      i++;
      if (p.startsWith('@')) {
        noteAtRule(p, atRules, mediaFeatures);
        // @font-face and @page hold declarations; other at-rules hold rules, read on as if unnested.
        if (/^@(font-face|page)/i.test(p)) i = skipBlock(text, i);
        continue;
      }
      const close = text.indexOf('}', i);
      const body = text.slice(i, close === -1 ? text.length : close);
      rules.push({ selector: p, declarations: parseDeclarations(body) });
      i = close === -1 ? text.length : close + 1;
      continue;
    }
    if (c === '}') {
      prelude = '';
      i++;
      continue;
    }
    if (c === ';' && prelude.trim().startsWith('@')) {
      noteAtRule(prelude.trim(), atRules, mediaFeatures);
      prelude = '';
      i++;
      continue;
    }
    prelude += c;
    if (prelude.length > 4096) prelude = prelude.slice(-1024);
    i++;
  }
  return { rules, atRules, mediaFeatures };
}

function noteAtRule(prelude: string, atRules: Set<string>, mediaFeatures: Set<string>): void {
  const name = /^@([a-z-]+)/i.exec(prelude)?.[1]?.toLowerCase();
  if (!name) return;
  atRules.add(name);
  if (name === 'media') for (const m of prelude.matchAll(/\(\s*([a-z-]+)/gi)) mediaFeatures.add(m[1].toLowerCase());
}

function skipBlock(text: string, from: number): number {
  let depth = 1;
  let i = from;
  while (i < text.length && depth > 0) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') depth--;
    i++;
  }
  return i;
}

function stripComments(s: string): string {
  return s.includes('/*') ? s.replace(/\/\*[\s\S]*?(\*\/|$)/g, '') : s;
}
