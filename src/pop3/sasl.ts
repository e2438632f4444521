import { Pop3Error } from './responses.js';

/** Mechanisms offered in CAPA `SASL` and the `AUTH` listing. */
export const saslMechanisms = ['PLAIN', 'LOGIN'] as const;

/** Where a SASL exchange stands: finished with credentials, or waiting for the client's next response. */
export type SaslStep =
  | { done: true; user: string; password: string }
  | { done: false; challenge: string; next: (response: string) => SaslStep };

/**
 * Starts a SASL exchange (RFC 5034). `initial` is the optional initial response of `AUTH <mech> <ir>`,
 * still base64 (`=` for an empty one). Pure: the caller verifies the credentials and opens the maildrop.
 */
export function startSasl(mechanism: string, initial: string | undefined): SaslStep {
  switch (mechanism.toUpperCase()) {
    case 'PLAIN':
      return initial === undefined ? { done: false, challenge: '', next: (r) => finishPlain(decodeResponse(r)) } : finishPlain(decodeResponse(initial));
    case 'LOGIN':
      return initial === undefined ? askUser() : askPassword(decodeResponse(initial));
    default:
      throw new Pop3Error('Unsupported authentication mechanism');
  }
}

// RFC 4616: [authzid] NUL authcid NUL passwd. An authzid other than the login itself would be proxy
// authorisation, which a sandbox has no use for.
function finishPlain(text: string): SaslStep {
  const parts = text.split('\0');
  if (parts.length !== 3) throw new Pop3Error('Malformed PLAIN response', 'AUTH');
  const [authzid, user, password] = parts;
  if (authzid !== '' && authzid.toLowerCase() !== user.toLowerCase()) throw new Pop3Error('Authorization identity not allowed', 'AUTH');
  return { done: true, user, password };
}

// The de-facto LOGIN mechanism (draft-murchison-sasl-login): "Username:" then "Password:" prompts.
function askUser(): SaslStep {
  return { done: false, challenge: Buffer.from('Username:').toString('base64'), next: (r) => askPassword(decodeResponse(r)) };
}

function askPassword(user: string): SaslStep {
  return { done: false, challenge: Buffer.from('Password:').toString('base64'), next: (r) => ({ done: true, user, password: decodeResponse(r) }) };
}

/**
 * A client response: `*` cancels (RFC 5034 §4); `=` is an empty initial response and an empty line an empty
 * continuation response; anything else must be strict base64.
 */
export function decodeResponse(response: string): string {
  if (response === '*') throw new Pop3Error('Authentication cancelled', undefined, false);
  if (response === '=' || response === '') return '';
  if (response.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(response)) {
    throw new Pop3Error('Invalid base64 in authentication response');
  }
  return Buffer.from(response, 'base64').toString('utf8');
}
