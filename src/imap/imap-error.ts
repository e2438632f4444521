/**
 * An IMAP outcome other than OK, thrown by argument getters and command handlers and rendered by the
 * dispatcher as the tagged response (`tag NO [CODE] text` / `tag BAD text`).
 */
export class ImapError extends Error {
  constructor(
    readonly status: 'NO' | 'BAD',
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ImapError';
  }
}

export const bad = (message: string): ImapError => new ImapError('BAD', null, message);
export const no = (message: string, code: string | null = null): ImapError => new ImapError('NO', code, message);
