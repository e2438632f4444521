import { describe, expect, it } from 'vitest';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { formatSmtpReply } from '../../src/smtp/reply-format.js';

/** What smtp-server's own send() writes for a reply (its one write site), without a socket. */
function librarySend(code: number, enhanced: string, data?: string | string[] | null): string {
  let written = '';
  const fake = {
    _getEnhancedStatusCode: () => enhanced,
    session: {},
    _upgrading: false,
    _socket: { destroyed: false, readyState: 'open', write: (s: string) => void (written += s) },
    _server: { logger: { debug: () => undefined } },
    close: () => undefined,
    id: 'x',
  };
  (SMTPConnection.prototype as unknown as { send: (...a: unknown[]) => void }).send.call(fake, code, data);
  return written.replace(/\r\n$/, '');
}

describe('formatSmtpReply', () => {
  it.each([
    [250, '2.1.0', 'Accepted'],
    [250, '', 'Accepted'],
    [250, '2.0.0', ''],
    [250, '2.0.0', null],
    [354, '', 'End data with <CR><LF>.<CR><LF>'],
    [550, '5.1.1', 'bad\r\nBcc: injected\u0000 and \u0085'],
    [250, '', ['host Nice to meet you', 'PIPELINING', 'SIZE 10']],
    [250, '2.0.0', ['one', 'two\rthree']],
  ] as const)('writes %s %j %j as smtp-server does', (code, enhanced, data) => {
    const mine = formatSmtpReply(code, enhanced, data as string | string[] | null);
    expect(mine).toBe(librarySend(code, enhanced, data as string | string[] | null));
    expect(mine).not.toMatch(/[\0\r](?!\n)|(?<!\r)\n/);
  });
});
