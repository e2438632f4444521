import type { SMTPServerAddress } from 'smtp-server';
import type { SmtpExtensionProfile } from '../shared/smtp-extensions.js';

/**
 * An extension turned off with `--smtp-extensions` is refused when a client uses it anyway (SPEC §13): smtp-server
 * only stops advertising it. Returns the `555` text (RFC 5321 §4.1.1.11: parameters not recognized), or null.
 */
export function refusedExtension(profile: SmtpExtensionProfile, command: 'mail' | 'rcpt', address: SMTPServerAddress): string | null {
  const args = address.args || {};
  const refuse = (param: string, ext: string) => `5.5.4 Error: ${param} is not supported: ${ext} is not offered`;
  if (command === 'mail') {
    if (!profile.SMTPUTF8 && args.SMTPUTF8 !== undefined) return refuse('SMTPUTF8', 'SMTPUTF8');
    if (!profile['8BITMIME'] && typeof args.BODY === 'string' && args.BODY.toUpperCase() === '8BITMIME') return refuse('BODY=8BITMIME', '8BITMIME');
    if (!profile.SIZE && args.SIZE !== undefined) return refuse('SIZE', 'SIZE');
    if (!profile.DSN && (args.RET !== undefined || args.ENVID !== undefined)) return refuse(args.RET !== undefined ? 'RET' : 'ENVID', 'DSN');
    return null;
  }
  if (!profile.DSN && (args.NOTIFY !== undefined || args.ORCPT !== undefined)) return refuse(args.NOTIFY !== undefined ? 'NOTIFY' : 'ORCPT', 'DSN');
  return null;
}
