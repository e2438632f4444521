// Module hooks that let a worker thread run the project's TypeScript source on Node 20 (which cannot strip types):
// `.ts` files are transpiled with rolldown's transform (oxc, which vite — a dev dependency — brings; types dropped,
// nothing checked), and the `.js` specifiers the source imports by (NodeNext style) fall back to the `.ts` file
// beside them. Used only when the sandbox runs from source (the test suite, through src/shared/parse-pool.ts); a
// built package never loads it.
import { readFile } from 'node:fs/promises';
import { transformSync } from 'rolldown/experimental';

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) return next(`${specifier.slice(0, -3)}.ts`, context);
    throw err;
  }
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = await readFile(new URL(url), 'utf8');
  const { code, errors } = transformSync(url, source, { lang: 'ts' });
  if (errors.length) throw new Error(`${url}: ${errors.map((e) => e.message).join('; ')}`);
  return { format: 'module', source: code, shortCircuit: true };
}
