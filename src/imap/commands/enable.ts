import { bad } from '../imap-error.js';
import { toKeyword } from '../wire/args.js';
import { authenticated, defineCommand, ok } from './define.js';

/**
 * What a client may ENABLE (RFC 5161), one line each: the extension and what enabling it turns on with it.
 * Names not listed are ignored, as RFC 5161 §3.1 asks.
 */
export const enableable: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['CONDSTORE', ['CONDSTORE']], // RFC 7162 §3.1
  ['QRESYNC', ['QRESYNC', 'CONDSTORE']], // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE
  ['UTF8=ACCEPT', ['UTF8=ACCEPT']], // RFC 6855 §3: UTF-8 mailbox names and strings, APPEND UTF8 (~{n})
]);

// ENABLE capability... — RFC 5161. `* ENABLED` lists the names asked for that this command turned on.
export const enable = defineCommand({
  names: ['ENABLE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs(args) {
    if (args.length === 0) throw bad('ENABLE needs at least one capability');
    return { names: args.map((t) => toKeyword(t, 'capability')) };
  },
  async run(ctx, { names }) {
    const turnedOn: string[] = [];
    for (const name of new Set(names)) {
      const turns = enableable.get(name);
      if (!turns || ctx.session.enabled.has(name)) continue;
      for (const ext of turns) ctx.session.enabled.add(ext);
      turnedOn.push(name);
    }
    await ctx.session.untagged(turnedOn.length ? `ENABLED ${turnedOn.join(' ')}` : 'ENABLED');
    return ok('ENABLE completed');
  },
});
