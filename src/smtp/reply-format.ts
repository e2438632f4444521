/** Control characters, made spaces in a reply's text as smtp-server does. */
const controlChars = /[\x00-\x1F\x7F-\x9F]/;
const controlCharsGlobal = /[\x00-\x1F\x7F-\x9F]/g;

function replyText(text: unknown): string {
  const s = text === undefined || text === null ? '' : String(text);
  return controlChars.test(s) ? s.replace(controlCharsGlobal, ' ') : s;
}

/**
 * A reply exactly as smtp-server's send() (3.21.6) formats it, lines joined by CRLF: `enhanced` (the enhanced status
 * code, or '') on each line, control characters in the text made spaces (a backstop against splitting a reply).
 */
export function formatSmtpReply(code: number, enhanced: string, data?: string | string[] | null): string {
  if (Array.isArray(data)) {
    const last = data.length - 1;
    return data.map((line, i) => `${code}${i < last ? '-' : ' '}${enhanced ? enhanced + ' ' : ''}${replyText(line)}`).join('\r\n');
  }
  const prefix = enhanced ? ` ${enhanced}` : '';
  return data ? `${code}${prefix} ${replyText(data)}` : `${code}${prefix}`;
}
