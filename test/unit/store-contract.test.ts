import { MessageStore } from '../../src/store/message-store.js';
import { storeContract } from './store-contract-suite.js';

storeContract({
  name: 'in memory',
  open: (options) => new MessageStore({ maxMessages: 0, ...options }),
});
