import type { SandboxInfo, ServerContext } from '../shared/server-context.js';

/** What every HTTP handler is given: the sandbox context plus the HTTP server's own state. */
export interface HttpContext {
  readonly ctx: ServerContext;
  info(): SandboxInfo;
  /** Aborted when the HTTP server closes; pending long-polls end with 503. */
  readonly closing: AbortSignal;
}
