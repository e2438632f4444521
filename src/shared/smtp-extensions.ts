/**
 * The SMTP extension profile (`--smtp-extensions -PIPELINING,+DSN`, SPEC §13): which EHLO keywords are offered,
 * so a sender's negotiation can be tested. An extension turned off is also refused when a client uses it anyway.
 */
export const smtpExtensionNames = ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'STARTTLS', 'DSN', 'SIZE', 'AUTH', 'REQUIRETLS'] as const;
export type SmtpExtension = (typeof smtpExtensionNames)[number];
export type SmtpExtensionProfile = Readonly<Record<SmtpExtension, boolean>>;

/** What is offered with no profile given (SPEC §5); DSN and REQUIRETLS are opt-in. */
export const defaultSmtpExtensions: SmtpExtensionProfile = Object.freeze({
  PIPELINING: true,
  '8BITMIME': true,
  SMTPUTF8: true,
  ENHANCEDSTATUSCODES: true,
  STARTTLS: true,
  DSN: false,
  SIZE: true,
  AUTH: true,
  REQUIRETLS: false,
});

/**
 * Parses `-PIPELINING,+DSN,SMTPUTF8` (a bare name turns it on) over the defaults; problems go to `problems`.
 * @example parseSmtpExtensions('-PIPELINING,+DSN', []) // { ...defaults, PIPELINING: false, DSN: true }
 */
export function parseSmtpExtensions(value: string, problems: string[], source = '--smtp-extensions'): SmtpExtensionProfile {
  const profile: Record<SmtpExtension, boolean> = { ...defaultSmtpExtensions };
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([+-]?)([A-Za-z0-9]+)$/.exec(item);
    const name = m?.[2].toUpperCase() as SmtpExtension | undefined;
    if (!m || !name || !smtpExtensionNames.includes(name)) {
      problems.push(`${source}: unknown extension ${JSON.stringify(item)} (one of ${smtpExtensionNames.join(', ')}, each with + or -)`);
      continue;
    }
    profile[name] = m[1] !== '-';
  }
  return Object.freeze(profile);
}
