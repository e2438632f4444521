import type { SandboxInfo, ServerContext } from '../shared/server-context.js';
import type { MessageWaiters } from '../store/message-waiter.js';
import type { StoredMessage } from '../store/types.js';

/** What every HTTP handler is given: the sandbox context plus the HTTP server's own state. */
export interface HttpContext {
  readonly ctx: ServerContext;
  info(): SandboxInfo;
  /** The sandbox's waiter registry (shared with the library, so one cap covers both). */
  readonly waiters: MessageWaiters;
  /** Cached lower-cased body text, for the query language's words (searches repeat on every keystroke). */
  lowerBodyText(m: StoredMessage): string;
  /** Aborted when the HTTP server closes; pending long-polls end with 503. */
  readonly closing: AbortSignal;
}
