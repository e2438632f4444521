import type { ServerContext } from '../shared/server-context.js';
import type { StoredMessage } from '../store/types.js';
import type { MessageFilter, WaitOptions } from './types.js';

// PLACEHOLDER: event-driven wait goes here.
export function waitForMessages(_ctx: ServerContext, _filter: MessageFilter, _options: WaitOptions): Promise<StoredMessage[]> {
  return Promise.reject(new Error('not implemented'));
}
