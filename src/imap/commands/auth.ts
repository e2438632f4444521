import { no, bad, type ImapError } from '../imap-error.js';
import { authFailureDelay, sleep } from '../../shared/auth-throttle.js';
import { capabilities } from '../capabilities.js';
import type { ImapSession } from '../session.js';
import { expectArgCount, getAstring, getKeyword } from '../wire/args.js';
import { defineCommand, ok, type CommandResult } from './define.js';

const notAuthenticated = ['not-authenticated'] as const;

// STARTTLS — RFC 3501 §6.2.1. Anything the client pipelined after it in plaintext is discarded (SPEC §10).
export const starttls = defineCommand({
  names: ['STARTTLS'],
  states: notAuthenticated,
  usesSequenceNumbers: false,
  parseArgs: (args) => expectArgCount(args, 0),
  run(ctx) {
    if (ctx.session.isTls) throw bad('TLS is already active');
    if (!ctx.session.canStartTls) throw bad('STARTTLS is not available here');
    return ok('Begin TLS negotiation now', null, async () => {
      ctx.discardInput();
      await ctx.session.upgradeTls();
    });
  },
});

// LOGIN userid password — RFC 3501 §6.2.3. The user name is the mailbox address.
export const login = defineCommand({
  names: ['LOGIN'],
  states: notAuthenticated,
  usesSequenceNumbers: false,
  secretArgsFrom: 1,
  parseArgs(args) {
    expectArgCount(args, 2);
    return { user: getAstring(args, 0, 'user name'), password: getAstring(args, 1, 'password') };
  },
  run: (ctx, { user, password }) => {
    refuseBeforeTls(ctx.session);
    return logIn(ctx.session, user, password, 'LOGIN');
  },
});

// AUTHENTICATE PLAIN [initial-response] — RFC 3501 §6.2.2, RFC 4616 PLAIN, RFC 4959 SASL-IR.
export const authenticate = defineCommand({
  names: ['AUTHENTICATE'],
  states: notAuthenticated,
  usesSequenceNumbers: false,
  secretArgsFrom: 1,
  parseArgs(args) {
    expectArgCount(args, 1, 2);
    return { mechanism: getKeyword(args, 0, 'mechanism'), initial: args.length === 2 ? getAstring(args, 1, 'initial response') : null };
  },
  async run(ctx, { mechanism, initial }) {
    refuseBeforeTls(ctx.session);
    if (mechanism !== 'PLAIN') throw no(`Unsupported mechanism ${mechanism}; use PLAIN`);
    let response = initial;
    if (response === null) {
      ctx.session.write('+ \r\n');
      await ctx.session.flush();
      const line = await ctx.readLine();
      if (line === null) return ok('Connection closed');
      ctx.session.log.line('C', '***');
      response = line.toString('latin1');
    }
    if (response.trim() === '*') throw bad('AUTHENTICATE cancelled');
    // SASL-IR: `=` stands for an empty initial response (RFC 4959 §3).
    const decoded = response === '=' ? '' : Buffer.from(response.trim(), 'base64').toString('utf8');
    const [authz, user, password] = decoded.split('\0');
    if (user === undefined || password === undefined || !user) return failed(ctx.session, no('Malformed PLAIN response', 'AUTHENTICATIONFAILED'));
    if (authz && authz.toLowerCase() !== user.toLowerCase()) return failed(ctx.session, no('Cannot act as another user', 'AUTHORIZATIONFAILED'));
    return logIn(ctx.session, user, password, 'AUTHENTICATE');
  },
});

/** `--starttls required` (RFC 3501 §6.2.3, RFC 9051 §7.1 PRIVACYREQUIRED): no credentials before STARTTLS. */
function refuseBeforeTls(session: ImapSession): void {
  if (session.isTlsRequired) throw no('Log in after STARTTLS', 'PRIVACYREQUIRED');
}

async function logIn(session: ImapSession, user: string, password: string, what: string): Promise<CommandResult> {
  const server = session.server;
  // The login names a mailbox (SPEC §4): no white space or control bytes, or a literal could smuggle a CRLF into it.
  if (!user || /[\s\x00-\x1f\x7f]/.test(user)) return failed(session, no('Invalid user name', 'AUTHENTICATIONFAILED'));
  if (!server.credentials.verifyPassword(user, password)) return failed(session, no('Invalid credentials', 'AUTHENTICATIONFAILED'));
  const mailbox = server.store.ensureMailbox(user);
  session.user = mailbox.address;
  session.state = 'authenticated';
  session.log.setUser(mailbox.address);
  return ok(`${what} completed`, `CAPABILITY ${capabilities(session)}`);
}

/**
 * A failed authentication: answered after a growing delay (SPEC §10); the last allowed one ends the session with
 * `* BYE`, so guessing costs seconds per try and a new connection every few tries.
 */
async function failed(session: ImapSession, err: ImapError): Promise<never> {
  const { authFailures, authFailureDelayMs } = session.server.config.limits;
  const failures = ++session.authFailures;
  await sleep(authFailureDelay(failures, authFailureDelayMs));
  if (failures >= authFailures) await session.close('Too many failed authentications');
  throw err;
}
