import { ok, Pop3Error } from '../responses.js';
import type { Reply } from '../responses.js';
import { saslMechanisms, startSasl } from '../sasl.js';
import type { SaslStep } from '../sasl.js';
import { defineCommand } from './command.js';
import type { SessionControl } from './command.js';

/**
 * The login name is the mailbox address (SPEC §6). Checked here because SASL-decoded names can hold any byte:
 * no controls, no spaces, at most 254 octets (the longest address RFC 5321 allows).
 */
export function parseLoginName(name: string): string {
  if (name.length === 0 || Buffer.byteLength(name) > 254 || /[\s\x00-\x1f\x7f]/.test(name)) {
    throw new Pop3Error('Invalid login name', 'AUTH');
  }
  return name;
}

/** `--starttls required`: no login (and so no password on the wire) before STLS. Not a bad command. */
function refuseBeforeTls(session: SessionControl): void {
  if (session.isTlsRequired) throw new Pop3Error('TLS required: issue STLS first', undefined, false);
}

function authFailed(): Pop3Error {
  return new Pop3Error('Authentication failed', 'AUTH');
}

/** Checks credentials and opens the maildrop: the common end of PASS and AUTH. */
function loginWithPassword(session: SessionControl, user: string, password: string): Reply {
  const name = parseLoginName(user);
  if (!session.ctx.credentials.verifyPassword(name, password)) throw authFailed();
  return session.openMaildrop(name);
}

// USER name — RFC 1939 §7
export const userCommand = defineCommand({
  states: ['authorization'],
  args: [1, 1],
  usage: 'USER name',
  run(session, [name]) {
    refuseBeforeTls(session);
    session.pendingUser = parseLoginName(name);
    return ok(`Send PASS for ${session.pendingUser}`);
  },
});

// PASS string — RFC 1939 §7. The password is the rest of the line: it may contain spaces.
export const passCommand = defineCommand({
  states: ['authorization'],
  args: 'rest',
  usage: 'PASS password',
  redact: () => '****',
  run(session, [password]) {
    const user = session.pendingUser;
    // Whatever happens next, a failed PASS needs a new USER (RFC 1939 §7: "may either issue a new authentication command").
    session.pendingUser = null;
    refuseBeforeTls(session);
    if (user === null) throw new Pop3Error('USER first');
    return loginWithPassword(session, user, password);
  },
});

// APOP name digest — RFC 1939 §7. digest = md5(greeting timestamp + password), 32 lower-case hex digits.
export const apopCommand = defineCommand({
  states: ['authorization'],
  args: [2, 2],
  usage: 'APOP name digest',
  redact: ([name]) => `${name} ****`,
  run(session, [name, digest]) {
    session.pendingUser = null;
    refuseBeforeTls(session);
    if (!/^[0-9a-fA-F]{32}$/.test(digest)) throw new Pop3Error('Invalid APOP digest', 'AUTH');
    const user = parseLoginName(name);
    if (!session.ctx.credentials.verifyApop(user, session.apopTimestamp, digest)) throw authFailed();
    return session.openMaildrop(user);
  },
});

// AUTH [mechanism [initial-response]] — RFC 5034. A bare AUTH lists the mechanisms, as RFC 1734 clients
// (Thunderbird, Outlook) still probe with it.
export const authCommand = defineCommand({
  states: ['authorization'],
  args: [0, 2],
  usage: 'AUTH mechanism [initial-response]',
  redact: ([mech, ir]) => (ir === undefined ? mech ?? '' : `${mech} ****`),
  run(session, [mechanism, initial]) {
    session.pendingUser = null;
    if (mechanism === undefined) return ok('Supported mechanisms follow', { lines: [...saslMechanisms] });
    refuseBeforeTls(session);
    return continueSasl(session, startSasl(mechanism, initial));
  },
});

function continueSasl(session: SessionControl, step: SaslStep): Reply {
  if (step.done) return loginWithPassword(session, step.user, step.password);
  return { kind: 'challenge', challenge: step.challenge, next: (line) => continueSasl(session, step.next(line)) };
}

// STLS — RFC 2595 §4. Only on the plain listener before TLS; the session discards anything pipelined after it.
export const stlsCommand = defineCommand({
  states: ['authorization'],
  args: [0, 0],
  usage: 'STLS',
  run(session) {
    if (!session.canStartTls) throw new Pop3Error(session.isTls ? 'Already using TLS' : 'STLS not available');
    session.pendingUser = null;
    return ok('Begin TLS negotiation', { then: 'starttls' });
  },
});

// CAPA — RFC 2449 §5. Exactly what is implemented; STLS only while it can be used (plain listener, before
// TLS, before login: RFC 2595 §4 allows it in the AUTHORIZATION state only).
export const capaCommand = defineCommand({
  states: ['authorization', 'transaction'],
  args: [0, 0],
  usage: 'CAPA',
  run(session) {
    const lines = ['TOP', 'UIDL', 'USER', `SASL ${saslMechanisms.join(' ')}`];
    if (session.canStartTls && session.state === 'authorization') lines.push('STLS');
    lines.push('RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'IMPLEMENTATION mailsandbox');
    return ok('Capability list follows', { lines });
  },
});

// QUIT — RFC 1939 §6 (AUTHORIZATION: just close) and §6 UPDATE (TRANSACTION: commit the deletions).
export const quitCommand = defineCommand({
  states: ['authorization', 'transaction'],
  args: [0, 0],
  usage: 'QUIT',
  run(session) {
    if (session.state === 'transaction') return session.commitAndQuit();
    return ok('mailsandbox POP3 server signing off', { then: 'close' });
  },
});
