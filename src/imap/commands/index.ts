import type { CommandSpec } from './define.js';
import { capability, id, logout, noop } from './any-state.js';
import { enable } from './enable.js';
import { append } from './append.js';
import { authenticate, login, starttls } from './auth.js';
import { compress } from './compress.js';
import { copy } from './copy-move.js';
import { fetch } from './fetch/fetch.js';
import { create, del, namespace, rename, status, subscribe } from './folders.js';
import { idle } from './idle.js';
import { list } from './list.js';
import { search } from './search/search.js';
import { sort } from './sort/sort.js';
import { thread } from './sort/thread.js';
import { check, close, expunge, select, unselect } from './select.js';
import { store } from './store.js';
import { getQuota, getQuotaRoot, setQuota } from './quota.js';

/** Every command the server knows, one line each: name -> declaration (states, arguments, handler). */
export const commands: ReadonlyMap<string, CommandSpec<any>> = new Map<string, CommandSpec<any>>([
  // any state — RFC 3501 §6.1, RFC 2971
  ['CAPABILITY', capability],
  ['NOOP', noop],
  ['LOGOUT', logout],
  ['ID', id],
  // not authenticated — RFC 3501 §6.2
  ['STARTTLS', starttls],
  ['AUTHENTICATE', authenticate],
  ['LOGIN', login],
  // authenticated — RFC 3501 §6.3 and extensions
  ['ENABLE', enable],
  ['SELECT', select],
  ['EXAMINE', select],
  ['CREATE', create],
  ['DELETE', del],
  ['RENAME', rename],
  ['SUBSCRIBE', subscribe],
  ['UNSUBSCRIBE', subscribe],
  ['LIST', list],
  ['LSUB', list],
  ['STATUS', status],
  ['APPEND', append],
  ['NAMESPACE', namespace],
  ['IDLE', idle],
  ['GETQUOTA', getQuota], // RFC 9208
  ['GETQUOTAROOT', getQuotaRoot],
  ['SETQUOTA', setQuota],
  ['COMPRESS', compress],
  // selected — RFC 3501 §6.4 and extensions
  ['CHECK', check],
  ['CLOSE', close],
  ['UNSELECT', unselect],
  ['EXPUNGE', expunge],
  ['SEARCH', search],
  ['SORT', sort],
  ['THREAD', thread],
  ['FETCH', fetch],
  ['STORE', store],
  ['COPY', copy],
  ['MOVE', copy],
  ['UID EXPUNGE', expunge],
  ['UID SEARCH', search],
  ['UID SORT', sort],
  ['UID THREAD', thread],
  ['UID FETCH', fetch],
  ['UID STORE', store],
  ['UID COPY', copy],
  ['UID MOVE', copy],
]);
