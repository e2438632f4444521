import { bad } from '../../imap-error.js';
import type { ViewEntry } from '../../mailbox-view.js';
import { getKeyword } from '../../wire/args.js';
import { defineCommand, ok, selected } from '../define.js';
import { isStable, searchEntries, selectedView } from '../search/search.js';
import type { SortFactsCache } from './sort-facts.js';
import { parseCharsetAndKeys } from './sort.js';
import { sentDate } from './sort-keys.js';

export const threadAlgorithms = ['ORDEREDSUBJECT', 'REFERENCES'] as const;
type Algorithm = (typeof threadAlgorithms)[number];

/**
 * THREAD algorithm charset search-key... — RFC 5256 §4 (UID THREAD answers with UIDs). The answer is one
 * `* THREAD (...)(...)`: a message followed by its only child is written flat (`(1 2 3)`), siblings each in
 * their own parentheses (`(1 (2)(3))`), a dummy parent as an empty position (`((1)(2))`).
 */
export const thread = defineCommand({
  names: ['THREAD', 'UID THREAD'],
  states: selected,
  usesSequenceNumbers: true,
  parseArgs(args) {
    const algorithm = getKeyword(args, 0, 'threading algorithm');
    if (!(threadAlgorithms as readonly string[]).includes(algorithm)) throw bad(`Unknown threading algorithm ${algorithm.slice(0, 30)}`);
    return { algorithm: algorithm as Algorithm, key: parseCharsetAndKeys(args.slice(1)) };
  },
  async run(ctx, { algorithm, key }) {
    const view = selectedView(ctx);
    const make = (): string => {
      const entries = searchEntries(view, ctx, key);
      const number = (e: ViewEntry): number => (ctx.isUid ? e.placement.uid : e.seq);
      if (algorithm === 'ORDEREDSUBJECT') return `THREAD ${threadBySubject(entries, ctx.session.cache.sortFacts, number)}`.trimEnd();
      const roots = threadByReferences(entries, ctx.session.cache.sortFacts);
      return `THREAD ${roots.map((r) => `(${formatNode(r, number)})`).join('')}`.trimEnd();
    };
    // The answer is kept by the view until its list changes, when the search part does not read flags or the like.
    await ctx.session.untagged(isStable(key) ? view.cached(`thread ${algorithm} ${ctx.isUid} ${JSON.stringify(key)}`, make) : make());
    return ok(`${ctx.name} completed`);
  },
});

/** A thread node; `entry` null for a dummy (a message referred to but not in the result). */
export interface ThreadNode {
  entry: ViewEntry | null;
  children: ThreadNode[];
  parent: ThreadNode | null;
  /** Sort key: the sent date of the message, or of a dummy's first child. */
  date: number;
  seq: number;
}

function formatNode(node: ThreadNode, number: (e: ViewEntry) => number): string {
  const parts: string[] = [];
  let n: ThreadNode = node;
  // A chain of only children is written flat, iteratively: a 10,000-message reply chain must not recurse.
  for (;;) {
    if (n.entry) parts.push(String(number(n.entry)));
    if (n.children.length !== 1 || !n.entry) break;
    n = n.children[0];
  }
  if (n.children.length > 0) parts.push(n.children.map((c) => `(${formatNode(c, number)})`).join(''));
  return parts.join(' ');
}

function leaf(entry: ViewEntry | null): ThreadNode {
  return { entry, children: [], parent: null, date: entry ? sentDate(entry.placement) : 0, seq: entry ? entry.seq : 0 };
}

const byDate = (a: ThreadNode, b: ThreadNode): number => a.date - b.date || a.seq - b.seq;

/**
 * ORDEREDSUBJECT (RFC 5256 §4), written out: messages grouped by base subject; in each group the earliest is the
 * root and the rest its children (`(r c)` for one, `(r (c1)(c2))` for more); groups ordered by their first
 * message's sent date. Indices into `entries` (sequence order, so an index breaks a tie as the sequence number
 * does) rather than a tree node per message: the first ORDEREDSUBJECT over 10,000 messages made 10,000 of them.
 */
export function threadBySubject(entries: readonly ViewEntry[], facts: SortFactsCache, number: (e: ViewEntry) => number): string {
  const dates = new Float64Array(entries.length);
  // Grouped by key in one pass (no sort of every message by its subject string), then each group by date.
  const byKey = new Map<string, number[]>();
  for (let i = 0; i < entries.length; i++) {
    const p = entries[i].placement;
    dates[i] = sentDate(p);
    const key = facts.subject(p.message).key;
    const group = byKey.get(key);
    if (group) group.push(i);
    else byKey.set(key, [i]);
  }
  const byDate = (a: number, b: number): number => dates[a] - dates[b] || a - b;
  const groups = [...byKey.values()];
  for (const group of groups) if (group.length > 1) group.sort(byDate);
  groups.sort((a, b) => byDate(a[0], b[0]));
  const parts: string[] = [];
  for (const group of groups) {
    let text = `(${number(entries[group[0]])}`;
    if (group.length === 2) text += ` ${number(entries[group[1]])}`;
    else if (group.length > 2) {
      text += ' ';
      for (let i = 1; i < group.length; i++) text += `(${number(entries[group[i]])})`;
    }
    parts.push(`${text})`);
  }
  return parts.join('');
}

/** True when `ancestor` is `node` or above it: linking would make a loop. */
function isAncestor(ancestor: ThreadNode, node: ThreadNode): boolean {
  for (let n: ThreadNode | null = node; n; n = n.parent) if (n === ancestor) return true;
  return false;
}

function unlink(child: ThreadNode): void {
  const p = child.parent;
  if (!p) return;
  const i = p.children.indexOf(child);
  if (i >= 0) p.children.splice(i, 1);
  child.parent = null;
}

function link(parent: ThreadNode, child: ThreadNode): void {
  child.parent = parent;
  parent.children.push(child);
}

/** The first message of a node: itself, or a dummy's first child (after sorting). */
function firstMessage(node: ThreadNode): ThreadNode {
  let n = node;
  while (!n.entry && n.children.length > 0) n = n.children[0];
  return n;
}

/**
 * REFERENCES (RFC 5256 §4, after Jamie Zawinski's algorithm): (1) link messages by References (else the first
 * In-Reply-To id), never making a loop; (2) the parentless are the roots; (3) prune dummies; (4) sort the roots
 * by date; (5) merge roots with the same base subject; (6) sort every set of siblings by date.
 */
export function threadByReferences(entries: readonly ViewEntry[], facts: SortFactsCache): ThreadNode[] {
  const byId = new Map<string, ThreadNode>();
  const nodes: ThreadNode[] = [];
  // (1) Every message gets its node; a missing or duplicate Message-ID gets none in the table (it is unique).
  const refsOf = new Map<ThreadNode, string[]>();
  for (const e of entries) {
    const node = leaf(e);
    nodes.push(node);
    const f = facts.of(e.placement.message);
    const id = f.messageId;
    if (id !== null) {
      const existing = byId.get(id);
      if (!existing) byId.set(id, node);
      else if (!existing.entry) {
        // A dummy made for an earlier reference: this message takes its place, children and all.
        existing.entry = e;
        existing.date = node.date;
        existing.seq = node.seq;
        nodes[nodes.length - 1] = existing;
      }
    }
    refsOf.set(nodes[nodes.length - 1], f.references);
  }
  for (const node of nodes) {
    const refs = refsOf.get(node) ?? [];
    // (1.A) chain the referenced messages; an existing parent link is kept.
    let prev: ThreadNode | null = null;
    for (const ref of refs) {
      let r = byId.get(ref);
      if (!r) {
        r = leaf(null);
        byId.set(ref, r);
      }
      if (prev && r !== prev && !r.parent && !isAncestor(r, prev)) link(prev, r);
      prev = r;
    }
    // (1.B) the last reference is the parent: a truncated References may have linked it elsewhere before.
    // The old link goes even when the new one would make a loop (or there is no reference): then it has no parent.
    unlink(node);
    if (prev && prev !== node && !isAncestor(node, prev)) link(prev, node);
  }
  // (2) the roots: every node without a parent (dummies included).
  const all = new Set<ThreadNode>(nodes);
  for (const n of byId.values()) all.add(n);
  let roots = [...all].filter((n) => !n.parent);
  // (3) prune dummies.
  roots = prune(roots);
  // (4) sort the roots; a dummy sorts by its first child once its children are sorted.
  for (const r of roots) {
    if (!r.entry) {
      r.children.sort(byDate);
      const first = r.children[0];
      r.date = first.date;
      r.seq = first.seq;
    }
  }
  roots.sort(byDate);
  // (5) merge by base subject.
  roots = mergeBySubject(roots, facts);
  // (6) sort every set of siblings, the deepest first; dummies take their first child's date.
  sortTree(roots);
  return roots;
}

/**
 * Step 3, bottom-up without recursion (a long reply chain is deep): a dummy without children goes; a dummy with
 * children gives way to them, except at the root when there are several of them.
 */
function prune(roots: readonly ThreadNode[]): ThreadNode[] {
  const order: ThreadNode[] = [];
  const stack = [...roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    order.push(n);
    stack.push(...n.children);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    if (n.children.every((c) => c.entry)) continue;
    const kept: ThreadNode[] = [];
    for (const c of n.children) {
      if (c.entry) kept.push(c);
      else kept.push(...c.children);
    }
    for (const c of kept) c.parent = n;
    n.children = kept;
  }
  const out: ThreadNode[] = [];
  for (const r of roots) {
    if (r.entry || r.children.length > 1) out.push(r);
    else if (r.children.length === 1) {
      r.children[0].parent = null;
      out.push(r.children[0]);
    }
  }
  return out;
}

function subjectOf(node: ThreadNode, facts: SortFactsCache): { key: string; isReplyOrForward: boolean } {
  const first = firstMessage(node);
  return first.entry ? facts.subject(first.entry.placement.message) : { key: '', isReplyOrForward: false };
}

function mergeBySubject(roots: ThreadNode[], facts: SortFactsCache): ThreadNode[] {
  const table = new Map<string, ThreadNode>();
  const subjects = new Map<ThreadNode, { key: string; isReplyOrForward: boolean }>();
  for (const r of roots) subjects.set(r, subjectOf(r, facts));
  // (5.B) which root stands for each subject.
  for (const r of roots) {
    const s = subjects.get(r)!;
    if (s.key === '') continue;
    const there = table.get(s.key);
    if (!there || (!r.entry && there.entry) || (subjects.get(there)!.isReplyOrForward && !s.isReplyOrForward)) table.set(s.key, r);
  }
  // (5.C) merge the others into it.
  const out: ThreadNode[] = [];
  for (const r of roots) {
    // Already merged under a new dummy (it stood for its subject until a later root took it along).
    if (r.parent) continue;
    const s = subjects.get(r)!;
    const there = s.key === '' ? undefined : table.get(s.key);
    if (!there || there === r) {
      out.push(r);
      continue;
    }
    if (!there.entry && !r.entry) {
      for (const c of r.children) link(there, c);
      r.children = [];
    } else if (!there.entry) link(there, r);
    else if (s.isReplyOrForward && !subjects.get(there)!.isReplyOrForward) link(there, r);
    else {
      const dummy = leaf(null);
      dummy.date = there.date;
      dummy.seq = there.seq;
      out.push(dummy);
      link(dummy, there);
      link(dummy, r);
      table.set(s.key, dummy);
      subjects.set(dummy, subjects.get(there)!);
    }
  }
  // A root that became a child since it was kept (of a dummy made later) is shown through that dummy.
  return out.filter((r) => !r.parent);
}

function sortTree(roots: ThreadNode[]): void {
  // Post-order without recursion: children's order (and a dummy's first child) is settled before its parent's.
  const order: ThreadNode[] = [];
  const stack = [...roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    order.push(n);
    stack.push(...n.children);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    n.children.sort(byDate);
    if (!n.entry && n.children.length > 0) {
      n.date = n.children[0].date;
      n.seq = n.children[0].seq;
    }
  }
  roots.sort(byDate);
}
