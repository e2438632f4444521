import { MailboxView } from '../mailbox-view.js';
import { bad, no } from '../imap-error.js';
import { isCondstoreOn, isQresyncOn, toModseq, vanishedEarlier } from '../condstore.js';
import { expectArgCount, getMailbox, getNumber, getSequenceSet, toKeyword } from '../wire/args.js';
import { formatFlags } from '../wire/encoder.js';
import { resolveSequenceSet, type SequenceSet } from '../wire/sequence-set.js';
import type { Token } from '../wire/tokenizer.js';
import { authenticated, defineCommand, noArgs, ok, selected, type CommandContext } from './define.js';
import { folderOf, mailboxOf } from './folder-access.js';
import { listLine } from './list.js';
import { isRev2 } from '../rev2.js';

// SELECT mailbox [(CONDSTORE | QRESYNC (...))] / EXAMINE — RFC 3501 §6.3.1, §6.3.2, RFC 7162 §3.1.8, §3.2.5.
// A failed SELECT leaves nothing selected.
export const select = defineCommand({
  names: ['SELECT', 'EXAMINE'],
  states: authenticated,
  usesSequenceNumbers: false,
  parseArgs: (args, ctx) => (expectArgCount(args, 1, 2), { name: getMailbox(args, 0, ctx.session), params: parseSelectParams(args[1]) }),
  async run(ctx, { name, params }) {
    const s = ctx.session;
    // RFC 7162 §3.2.11: the client must know when the updates of the old folder stop.
    if (s.view) {
      s.deselect();
      await s.untagged('OK [CLOSED] Previous folder closed');
    }
    if (params.qresync && !isQresyncOn(s)) throw bad('QRESYNC must be enabled first (ENABLE QRESYNC)');
    if (params.condstore) s.enabled.add('CONDSTORE');
    const folder = folderOf(ctx, name);
    const isReadOnly = ctx.name === 'EXAMINE';
    const view = new MailboxView(ctx.server.store, folder, isReadOnly, s, () => ctx.onViewUpdate(), s.enabled);
    s.selectView(view);
    for (const line of view.flagsLines()) await s.untagged(line);
    await s.untagged(`${view.exists} EXISTS`);
    if (isRev2(ctx.enabled)) {
      // RFC 9051 §6.3.2: a LIST response instead of RECENT and the UNSEEN code (both gone from IMAP4rev2).
      await s.untagged(listLine(mailboxOf(ctx), folder.name, s));
    } else {
      await s.untagged(`${view.recent.size} RECENT`);
      const firstUnseen = view.entries().find((e) => !e.placement.flags.has('\\Seen'));
      if (firstUnseen) await s.untagged(`OK [UNSEEN ${firstUnseen.seq}] First unseen`);
    }
    await s.untagged(`OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid`);
    await s.untagged(`OK [UIDNEXT ${folder.uidNext}] Predicted next UID`);
    // Only to CONDSTORE sessions, as Dovecot does: an IMAP4rev1 client need not see it.
    if (isCondstoreOn(s)) await s.untagged(`OK [HIGHESTMODSEQ ${folder.highestModseq}] Highest`);
    if (params.qresync && params.qresync.uidValidity === folder.uidValidity) await resync(ctx, view, params.qresync);
    return ok(`${ctx.name} completed`, isReadOnly ? 'READ-ONLY' : 'READ-WRITE');
  },
});

interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids: SequenceSet | null;
}

/** `(CONDSTORE)` or `(QRESYNC (uidvalidity modseq [known-uids [(seq-match-data)]]))` (RFC 7162 §7). */
function parseSelectParams(t: Token | undefined): { condstore: boolean; qresync: QresyncParams | null } {
  const params = { condstore: false, qresync: null as QresyncParams | null };
  if (!t) return params;
  if (t.type !== 'list') throw bad('SELECT parameters must be a parenthesised list');
  for (let i = 0; i < t.items.length; i++) {
    const name = toKeyword(t.items[i], 'SELECT parameter');
    if (name === 'CONDSTORE') params.condstore = true;
    else if (name === 'QRESYNC') params.qresync = parseQresync(t.items[++i]);
    else throw bad(`Unknown SELECT parameter ${name.slice(0, 30)}`);
  }
  return params;
}

function parseQresync(t: Token | undefined): QresyncParams {
  if (t?.type !== 'list' || t.items.length < 2 || t.items.length > 4) throw bad('QRESYNC takes (uidvalidity modseq [known-uids [(seq-match-data)]])');
  const [v, m, known, match] = t.items;
  const uidValidity = getNumber([v], 0, 'QRESYNC uidvalidity');
  if (uidValidity === 0) throw bad('Bad QRESYNC uidvalidity');
  const modseq = toModseq(m, 'QRESYNC modseq');
  const knownUids = known ? getSequenceSet([known], 0) : null;
  if (knownUids?.some(([a, b]) => a === '*' || b === '*')) throw bad('Known UIDs may not contain *');
  if (match) {
    // Checked for syntax only: this server remembers expunges exactly, so it never needs the hint.
    if (match.type !== 'list' || match.items.length !== 2) throw bad('QRESYNC sequence match data takes (sequence-set uid-set)');
    const seqs = getSequenceSet(match.items, 0);
    const uids = getSequenceSet(match.items, 1);
    if (countOf(seqs) !== countOf(uids)) throw bad('QRESYNC sequence match data must pair as many numbers as UIDs');
  }
  return { uidValidity, modseq, knownUids };
}

function countOf(set: SequenceSet): number {
  let n = 0;
  for (const [a, b] of set) n += a === '*' || b === '*' ? NaN : Math.abs(b - a) + 1;
  return n;
}

/** RFC 7162 §3.2.5.2: what vanished since the client's MODSEQ, then FETCH for every message changed since. */
async function resync(ctx: CommandContext, view: MailboxView, q: QresyncParams): Promise<void> {
  const vanished = vanishedEarlier(view.folder, q.modseq, q.knownUids);
  if (vanished) await ctx.session.untagged(vanished);
  const known = q.knownUids ? resolveSequenceSet(q.knownUids, 0) : null;
  for (const { seq, placement: p } of view.entries()) {
    if (p.modseq <= q.modseq || (known && !known.some(([lo, hi]) => p.uid >= lo && p.uid <= hi))) continue;
    await ctx.session.untagged(`${seq} FETCH (UID ${p.uid} FLAGS ${formatFlags(p.flags, view.recent.has(p))} MODSEQ (${p.modseq}))`);
  }
}

// CLOSE — RFC 3501 §6.4.2: expunges \Deleted silently (no untagged EXPUNGE) unless read-only, then deselects.
export const close = defineCommand({
  names: ['CLOSE'],
  states: selected,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  run(ctx) {
    const view = ctx.session.view;
    ctx.session.deselect();
    if (view && !view.isReadOnly) {
      // Deselected first, so the store's removal events reach no view of this session: no untagged EXPUNGE.
      const deleted = view.entries().filter((e) => e.placement.flags.has('\\Deleted') && !view.isGone(e.placement));
      ctx.server.store.removePlacements(deleted.map((e) => e.placement), ctx.session);
    }
    return ok('CLOSE completed');
  },
});

// UNSELECT — RFC 3691: like CLOSE without the expunge.
export const unselect = defineCommand({
  names: ['UNSELECT'],
  states: selected,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  run(ctx) {
    ctx.session.deselect();
    return ok('UNSELECT completed');
  },
});

// EXPUNGE — RFC 3501 §6.4.3; UID EXPUNGE sequence-set — RFC 4315 §2.1 (only the named \Deleted messages).
// The untagged EXPUNGEs come from the view's queue, flushed by the dispatcher before the tagged OK.
export const expunge = defineCommand({
  names: ['EXPUNGE', 'UID EXPUNGE'],
  states: selected,
  usesSequenceNumbers: false,
  parseArgs: (args, ctx) => {
    expectArgCount(args, ctx.isUid ? 1 : 0);
    return { set: ctx.isUid ? getSequenceSet(args, 0) : null };
  },
  run(ctx, { set }) {
    expungeDeleted(ctx, set);
    return ok(`${ctx.name} completed`);
  },
});

function expungeDeleted(ctx: CommandContext, set: SequenceSet | null): void {
  const view = ctx.session.view;
  if (!view) return;
  if (view.isReadOnly) throw no('Folder is read-only', 'READ-ONLY');
  const entries = set ? view.resolve(set, true) : view.entries();
  const deleted = entries.filter((e) => e.placement.flags.has('\\Deleted') && !view.isGone(e.placement));
  ctx.server.store.removePlacements(deleted.map((e) => e.placement), ctx.session);
}

// CHECK — RFC 3501 §6.4.1: nothing to checkpoint in memory; like NOOP it lets queued updates through.
export const check = defineCommand({
  names: ['CHECK'],
  states: selected,
  usesSequenceNumbers: false,
  parseArgs: noArgs,
  run: () => ok('CHECK completed'),
});
