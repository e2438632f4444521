import type { Logger } from './logger.js';

/**
 * What to tell the user when a client hangs up right after STARTTLS/STLS, before sending a single command over
 * TLS. That is how a client that verifies certificates (nodemailer's default, mbsync, fetchmail) reacts to the
 * sandbox's self-signed one, and otherwise the transcript just ends after "Ready to start TLS".
 */
export function tlsHangupHint(command: string): string {
  return (
    `client hung up right after ${command} without sending a command over TLS: did it refuse the certificate? ` +
    'Give the client the sandbox certificate (GET /api/v1/tls/certificate), turn certificate checks off in it, or use the plain port without --starttls'
  );
}

/** Writes the hint to the session transcript (through `note`) and the log. */
export function reportTlsHangup(protocol: string, command: string, note: (line: string) => void, logger: Logger, sessionId: string): void {
  const hint = tlsHangupHint(command);
  note(hint);
  logger.warn(`${protocol}: ${hint}`, { session: sessionId });
}
