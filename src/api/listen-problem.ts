import type { ListenerName } from '../config.js';

/** How the banner and error messages name each listener. */
export const listenerLabels: Readonly<Record<ListenerName, string>> = {
  smtp: 'SMTP',
  submission: 'SUBMIT',
  smtps: 'SMTPS',
  pop3: 'POP3',
  pop3s: 'POP3S',
  imap: 'IMAP',
  imaps: 'IMAPS',
  http: 'HTTP',
};

/** Errors from listen() that are the configuration's fault (a busy port, a bad address), not a bug. */
const configErrorCodes = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);

/**
 * One line for a listener that could not listen, naming its flag and what to do (SPEC §3), or undefined when the
 * error is not a configuration problem. Address errors are worded per host, so they collapse into one line.
 */
export function describeListenError(name: ListenerName, host: string, port: number, err: NodeJS.ErrnoException): string | undefined {
  if (!err.code || !configErrorCodes.has(err.code)) return undefined;
  const label = listenerLabels[name];
  const flag = `--${name}-port`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${label} port ${port} (${flag}) is in use: another mailsandbox? Use ${flag} 0 or --ports 0`;
    case 'EACCES':
      return `${label} port ${port} (${flag}) needs privileges to bind: use a port above 1023, ${flag} 0 or --ports 0`;
    default:
      return `cannot listen on host ${JSON.stringify(host)} (--host): ${err.code}; use an address of this machine, e.g. 127.0.0.1 or 0.0.0.0`;
  }
}
