import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTestContext, openSession, seedMrose } from './pop3-harness.js';

/** Lines a hostile or confused client might send: real commands with odd arguments, junk, controls, long runs. */
const hostileLine = fc.oneof(
  fc.constantFrom('USER mrose@example.test', 'PASS x', 'STAT', 'LIST', 'UIDL', 'RETR 1', 'TOP 1 0', 'DELE 1', 'RSET', 'NOOP', 'CAPA', 'AUTH PLAIN', 'AUTH LOGIN', '*', 'STLS'),
  fc.tuple(fc.constantFrom('RETR', 'TOP', 'DELE', 'LIST', 'UIDL', 'APOP', 'AUTH', 'USER'), fc.string({ maxLength: 30 })).map(([c, a]) => `${c} ${a}`),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.nat(2000).map((n) => 'X'.repeat(n)),
);

describe('POP3 session: hostile input', () => {
  it('answers every line of any input with a status or closes at a limit, and never hits an internal error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileLine, { maxLength: 40 }), fc.boolean(), async (lines, bareLf) => {
        const ctx = createTestContext({ limits: { pop3BadCommands: 1000 } });
        const errors: string[] = [];
        ctx.logger.error = (msg) => void errors.push(msg);
        seedMrose(ctx);
        const { client, session } = openSession(ctx);
        await client.readLine();
        const eol = bareLf ? '\n' : '\r\n';
        // Ends with `*` (cancels a SASL exchange the junk may have started, else an unknown command) and QUIT.
        client.send(Buffer.from(lines.map((l) => l.replace(/[\r\n]/g, '') + eol).join('') + '\r\n*\r\nQUIT\r\n', 'latin1'));
        for (;;) {
          const line = await client.readLine();
          if (line === null) break;
          expect(line.startsWith('+') || line.startsWith('-ERR') || !/^[+-]/.test(line)).toBe(true);
        }
        await session.closed;
        expect(errors).toEqual([]);
        expect(ctx.store.getMailbox('mrose@example.test')?.pop3LockedBy ?? null).toBeNull();
      }),
      { numRuns: 150 },
    );
  });
});
