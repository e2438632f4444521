import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../shared/logger.js';
import { StoreError } from '../store/types.js';

/** Every HTTP failure is one of these, rendered by {@link errorHandler} as `{ "error": { "code", "message" } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra top-level fields of the error body (e.g. what arrived before a wait timed out). */
    readonly extra?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, 'bad_request', message);
export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found`);

/** body-parser's error types, mapped to our codes. */
const bodyErrors: Record<string, [number, string]> = {
  'entity.too.large': [413, 'too_large'],
  'entity.parse.failed': [400, 'bad_json'],
  'encoding.unsupported': [415, 'unsupported_encoding'],
  'charset.unsupported': [415, 'unsupported_charset'],
  'request.aborted': [400, 'aborted'],
  'request.size.invalid': [400, 'bad_request'],
};

function toHttpError(err: unknown, logger: Logger): HttpError {
  if (err instanceof HttpError) return err;
  // The durable store could not write (a full disk): nothing was stored; the client may retry once space returns.
  if (err instanceof StoreError && err.code === 'FULL') return new HttpError(507, 'insufficient_storage', err.message);
  // The shared database is away (PostgreSQL, issue #13): nothing was stored; retry once it is back.
  if (err instanceof StoreError && err.code === 'UNAVAILABLE') return new HttpError(503, 'store_unavailable', err.message);
  const e = err as { type?: unknown; status?: unknown; message?: unknown };
  if (typeof e?.type === 'string' && bodyErrors[e.type]) {
    const [status, code] = bodyErrors[e.type];
    return new HttpError(status, code, status === 413 ? 'Request body too large' : String(e.message));
  }
  // Express and its parsers raise 4xx errors of their own (a malformed %-escape in the path is a 400).
  const status = typeof e?.status === 'number' ? e.status : 0;
  if (status >= 400 && status < 500) return new HttpError(status, 'bad_request', typeof e.message === 'string' ? e.message.slice(0, 200) : 'Bad request');
  // Bugs are contained: the client gets a 500 JSON answer, the log gets the stack, the server keeps serving.
  logger.error('http handler failed', { err });
  return new HttpError(500, 'internal', 'Internal error');
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const h = toHttpError(err, logger);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [k, v] of Object.entries(h.headers ?? {})) res.setHeader(k, v);
    res.status(h.status).json({ error: { code: h.code, message: h.message }, ...h.extra });
  };
}

/** Unknown `/api/...` paths answer JSON, not the UI's HTML. */
export const apiNotFound: RequestHandler = (req) => {
  throw new HttpError(404, 'not_found', `No such endpoint: ${req.method} ${req.path}`);
};

/** A known path asked with a method it doesn't support. */
export function methodNotAllowed(allowed: string[]): RequestHandler {
  return (req) => {
    throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here; use ${allowed.join(', ')}`, undefined, { Allow: allowed.join(', ') });
  };
}
