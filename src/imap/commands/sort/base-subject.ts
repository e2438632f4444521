/**
 * RFC 5256 §2.1 base subject, and i;unicode-casemap (RFC 5051) keys for comparing strings the way SORT and
 * THREAD must (I18NLEVEL=1).
 */

const trailer = /(?:\(fwd\)|[ \t])+$/i;
// subj-leader = (*subj-blob subj-refwd) / WSP; subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
const leader = /^(?:[ \t]+|(?:\[[^[\]]*\][ \t]*)*(?:re|fwd?)[ \t]*(?:\[[^[\]]*\][ \t]*)?:)/i;
const blob = /^\[[^[\]]*\][ \t]*/;

export interface BaseSubject {
  /** The base subject as a collation key (case-mapped, NFKD): compare and group by this. */
  key: string;
  /** A `Re:`/`Fwd:` leader, a `(fwd)` trailer or a `[fwd: ...]` wrapper was removed (RFC 5256 §2.1, §5.B). */
  isReplyOrForward: boolean;
}

/** `subject` already decoded (encoded words turned to text). */
export function baseSubject(subject: string): BaseSubject {
  // (1) runs of whitespace (tabs, continuations) are one space.
  let s = subject.replace(/\s+/g, ' ');
  let isReplyOrForward = false;
  for (;;) {
    // (2) trailing "(fwd)" and whitespace.
    const t = s.replace(trailer, '');
    if (t !== s) {
      if (/\(fwd\)/i.test(s.slice(t.length))) isReplyOrForward = true;
      s = t;
    }
    // (3)-(5) leaders and blobs, until neither changes anything.
    for (let changed = true; changed; ) {
      changed = false;
      const m = leader.exec(s);
      if (m) {
        if (/[^ \t]/.test(m[0])) isReplyOrForward = true;
        s = s.slice(m[0].length);
        changed = true;
      }
      const b = blob.exec(s);
      if (b && b[0].length < s.length) {
        s = s.slice(b[0].length);
        changed = true;
      }
    }
    // (6) "[fwd: ...]" wraps the subject of a forwarded message: unwrap and start again at (2).
    if (s.length >= 6 && s.slice(0, 5).toLowerCase() === '[fwd:' && s.endsWith(']')) {
      s = s.slice(5, -1);
      isReplyOrForward = true;
      continue;
    }
    return { key: casemap(s), isReplyOrForward };
  }
}

/**
 * i;unicode-casemap (RFC 5051 §2): case-mapped, then NFKD, compared by code point. JavaScript has no titlecase
 * mapping; upper-casing agrees with it except for a few digraphs (ǅ) and full mappings (ß -> SS), which sort
 * next to their neighbours either way.
 */
export function casemap(s: string): string {
  // Fast path: plain ASCII needs no normalization.
  return /^[\x00-\x7f]*$/.test(s) ? s.toUpperCase() : s.toUpperCase().normalize('NFKD');
}

/** Code-point order (UTF-16 code-unit order differs only past U+FFFF; close enough for a sort key). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
