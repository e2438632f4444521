/**
 * True for an HTTP/1.x request line (`POST / HTTP/1.1`). A web page can make the browser POST to a POP3 or IMAP port;
 * its body would then run as commands. A mail client never starts that way, so such a connection is closed at once.
 */
export function isHttpRequestLine(line: string): boolean {
  return /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) +\S+ +HTTP\/\d(\.\d)?\s*$/i.test(line);
}
