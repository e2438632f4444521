import type { MessageStore } from './message-store.js';
import type { StoredMessage } from './types.js';
import type { MessageFilter } from '../api/types.js';

// PLACEHOLDER: the query language of SPEC §8 goes here.
export function compileFilter(_filter: MessageFilter): (m: StoredMessage, store: MessageStore) => boolean {
  return () => true;
}
