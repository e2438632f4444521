// Remote content: <img src="http…">, srcset, background attributes, CSS url(http…), <link href>. Plain <a href>
// links are not loads, so they don't count.
//
// Mail HTML is hostile and can be megabytes, and this runs on the UI's main thread when a message opens, so the
// pattern must stay linear: no two adjacent quantifiers that can match the same characters (`\s*["']?\s*` is
// quadratic on `url(` followed by a long run of spaces), and `<link …>` is scanned only up to the next `<` or `>`.
const remotePattern =
  /(?:src|srcset|background)\s*=\s*(?:["']\s*)?(?:https?:)?\/\/|url\(\s*(?:["']\s*)?(?:https?:)?\/\/|<link\b[^<>]*\bhref\s*=\s*(?:["']\s*)?(?:https?:)?\/\//i;

/** True when the HTML would load something from the network (the UI then offers "Load remote images"). */
export function hasRemoteContent(html: string | null): boolean {
  return html !== null && remotePattern.test(html);
}
