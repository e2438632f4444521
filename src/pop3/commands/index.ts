import type { CommandSpec } from './command.js';
import { apopCommand, authCommand, capaCommand, passCommand, quitCommand, stlsCommand, userCommand } from './auth-commands.js';
import { deleCommand, listCommand, noopCommand, retrCommand, rsetCommand, statCommand, topCommand, uidlCommand } from './maildrop-commands.js';

/** Every POP3 command, one line each: the whole surface at a glance (STYLE §3). Keys are upper-case. */
export const commands: ReadonlyMap<string, CommandSpec> = new Map([
  ['USER', userCommand],
  ['PASS', passCommand],
  ['APOP', apopCommand],
  ['AUTH', authCommand],
  ['STLS', stlsCommand],
  ['CAPA', capaCommand],
  ['STAT', statCommand],
  ['LIST', listCommand],
  ['UIDL', uidlCommand],
  ['RETR', retrCommand],
  ['TOP', topCommand],
  ['DELE', deleCommand],
  ['RSET', rsetCommand],
  ['NOOP', noopCommand],
  ['QUIT', quitCommand],
]);
