import { bad } from '../imap-error.js';
import { rev2 } from '../rev2.js';
import { toKeyword } from '../wire/args.js';
import { authenticated, defineCommand, ok } from './define.js';

/**
 * What a client may ENABLE (RFC 5161), one line each: the extension and what enabling it turns on with it.
 * Names not listed are ignored, as RFC 5161 §3.1 asks.
 */
export const enableable: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  [rev2, [rev2]], // RFC 9051 §6.3.1, Appendix A
  ['CONDSTORE', ['CONDSTORE']], // RFC 7162 §3.1
  ['QRESYNC', ['QRESYNC', 'CONDSTORE']], // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE
  ['UTF8=ACCEPT', ['UTF8=ACCEPT']], // RFC 6855 §3: UTF-8 mailbox names and strings, APPEND UTF8 (~{n})
]);

/** How `* ENABLED` spells a name whose usual spelling is not all capitals (RFC 9051 writes `IMAP4rev2`). */
const spelled: ReadonlyMap<string, string> = new Map([[rev2, 'IMAP4rev2']]);

// ENABLE capability... — RFC 5161, RFC 9051 §6.3.1. `* ENABLED` lists the names asked for that this command turned on.
// Like Dovecot, ENABLE is taken with a folder selected too (RFC 5161 §3.1 lets a server skip that check): what it
// turns on applies from the next response (an IMAP4rev2 session stops seeing \Recent at once).
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
      turnedOn.push(spelled.get(name) ?? name);
    }
    // IMAP4rev2 has no \Recent (RFC 9051 Appendix E): a folder selected before ENABLE stops showing it.
    if (turnedOn.includes('IMAP4rev2')) ctx.session.view?.recent.clear();
    await ctx.session.untagged(turnedOn.length ? `ENABLED ${turnedOn.join(' ')}` : 'ENABLED');
    return ok('ENABLE completed');
  },
});
